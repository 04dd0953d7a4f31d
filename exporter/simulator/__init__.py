"""A CodeDeploy simulator speaking the JSON 1.1 protocol on loopback (and STS's
GetCallerIdentity over the Query protocol on the same port), for demos, tests and
benchmarks: it implements the deployment-target and deployment-group operations moto lacks
and deployments that actually progress. A Cloud (cloud.py) puts many accounts and Regions
behind one port, with STS AssumeRole, IAM ListAccountAliases, Organizations and the Account
service's ListRegions. Every behaviour is listed in facts.py."""

from .account import Account, build_account
from .builders import (
    alarm_stop_error,
    appspec_revision,
    blue_green_configuration,
    cloudformation_target,
    deployment_info,
    diagnostics,
    ecs_target,
    error_information,
    github_revision,
    instance_target,
    lambda_target,
    lifecycle_event,
    link_rollback,
    s3_revision,
    string_revision,
    task_set,
)
from .cloud import Cloud, CloudCall
from .fleet import build_fleet, mutate_fraction
from .history import BlueGreenRun, put_failed_deployment, put_finished_deployment, put_rollback, put_stopped_deployment
from .records import ApiError
from .scenarios.driver import DEMO_GROUPS, DemoDriver, DemoScenarios
from .server import SimulatorServer
from .state import Call, Simulator

__all__ = [
    "DEMO_GROUPS",
    "Account",
    "ApiError",
    "BlueGreenRun",
    "Call",
    "Cloud",
    "CloudCall",
    "DemoDriver",
    "DemoScenarios",
    "Simulator",
    "SimulatorServer",
    "alarm_stop_error",
    "appspec_revision",
    "blue_green_configuration",
    "build_account",
    "build_fleet",
    "cloudformation_target",
    "deployment_info",
    "diagnostics",
    "ecs_target",
    "error_information",
    "github_revision",
    "instance_target",
    "lambda_target",
    "lifecycle_event",
    "link_rollback",
    "mutate_fraction",
    "put_failed_deployment",
    "put_finished_deployment",
    "put_rollback",
    "put_stopped_deployment",
    "s3_revision",
    "string_revision",
    "task_set",
]
