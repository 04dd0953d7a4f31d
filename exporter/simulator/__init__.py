"""A CodeDeploy simulator speaking the JSON 1.1 protocol on loopback, for demos, tests and
benchmarks: it implements the deployment-target operations moto lacks and deployments that
actually progress."""

from .scenarios import (
    DEMO_GROUPS,
    DemoDriver,
    DemoScenarios,
    build_fleet,
    cloudformation_target,
    deployment_info,
    diagnostics,
    ecs_target,
    instance_target,
    lambda_target,
    lifecycle_event,
    mutate_fraction,
    task_set,
)
from .server import SimulatorServer
from .state import ApiError, Call, Simulator

__all__ = [
    "DEMO_GROUPS",
    "ApiError",
    "Call",
    "DemoDriver",
    "DemoScenarios",
    "Simulator",
    "SimulatorServer",
    "build_fleet",
    "cloudformation_target",
    "deployment_info",
    "diagnostics",
    "ecs_target",
    "instance_target",
    "lambda_target",
    "lifecycle_event",
    "mutate_fraction",
    "task_set",
]
