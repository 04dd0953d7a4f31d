"""The SQS operations the exporter's event consumer uses, in memory, for demos, tests and benchmarks.

Amazon SQS speaks the AWS JSON 1.0 protocol (botocore's sqs model: ``"protocol": "json"``,
``"jsonVersion": "1.0"``, ``"targetPrefix": "AmazonSQS"``), so the simulator's HTTP server
routes ``X-Amz-Target: AmazonSQS.<Operation>`` here. Every behaviour implemented is listed in
facts.py with where it comes from; tests/simulator/test_simulator_sqs.py checks each fact against this
simulator and against moto's SQS through real boto3. queues.py holds the queues and messages,
service.py the operations on the wire (SqsService), errors.py the error responses.

Queues are keyed by the path of their URL (``/<account>/<name>``), so a client pointed at the
simulator with ``endpoint_url`` can use an AWS-looking queue URL such as
``https://sqs.us-east-1.amazonaws.com/111111111111/codedeploy-events``.
"""
