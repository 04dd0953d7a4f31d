"""The cycling demo scenarios: one module per target type's timeline, and the driver.

Every cycle (``cycle_seconds``, default 60 s; ``f`` = fraction of the cycle) creates one new
deployment in each demo group, with ids fixed per cycle (driver.py). Each module's docstring
gives its groups' timelines: ec2.py (demo-web, demo-api), ecs.py (demo-ecs), lambdas.py
(demo-lambda, demo-canary) and cloudformation.py (demo-cfn); timeline.py holds the hook and
step helpers they share.

The previous ``history`` cycles' (terminal) deployments are kept so groups have history.
"""
