"""boto3 clients for a simulator Cloud: as the management account (static keys) or as an
account reached through STS AssumeRole, in any Region. Shared by the Cloud's tests."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from exporter.simulator import SimulatorServer

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(
    url: str,
    service: str,
    region: str = "us-east-1",
    credentials: dict[str, Any] | None = None,
    key: str = "testing",
    config: Config = NO_RETRIES,
) -> Any:
    """A client on ``url``: with AssumeRole's ``credentials``, else the static ``key``."""
    if credentials is not None:
        secrets = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    else:
        secrets = {"aws_access_key_id": key, "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=url, region_name=region, config=config, **secrets)  # type: ignore[call-overload]


def assume(server: SimulatorServer, account: str, role: str, **kwargs: Any) -> dict[str, Any]:
    """Credentials of ``role`` in ``account``, assumed with the management account's static keys."""
    sts = client(server.endpoint_url, "sts")
    arn = f"arn:aws:iam::{account}:role/{role}"
    credentials: dict[str, Any] = sts.assume_role(RoleArn=arn, RoleSessionName="tests", **kwargs)["Credentials"]
    return credentials
