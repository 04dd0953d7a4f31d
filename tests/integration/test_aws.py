"""The AWS layer: role assumption through STS, rate limiting, and discovery against moto.

moto runs as a real HTTP server on loopback (ThreadedMotoServer); it implements STS and the
CodeDeploy operations for applications, groups and deployments, but not the deployment-target
ones, which is why the project has its own simulator.
"""

import boto3
import pytest
from support.expo import samples, value

from exporter.app import Exporter
from exporter.aws.budgets import RateLimiter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import build_fleet


def exporter_for(data, credentials=("testing", "testing")):
    config = parse_config(data)
    metrics = ExporterMetrics()
    clients = ClientFactory(metrics, static_credentials=credentials, max_attempts=2, max_requests_per_second=1000)
    return Exporter(config, clients, metrics)


def test_role_is_assumed_through_sts_and_its_credentials_sign_codedeploy_calls(sim, sim_server, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_url)
    ((deployment, _),) = build_fleet(sim, 3)
    exporter = exporter_for(
        {
            "aws": {
                "region": "us-east-1",
                "endpoint_url": sim_server.endpoint_url,
                "role_arn": "arn:aws:iam::123456789012:role/codedeploy-reader",
                "external_id": "ext-123",
            },
            "deployments": [{"deployment_id": deployment}],
        }
    )
    outcome = exporter.poll_once()
    assert outcome.failed_targets == 0
    keys = {call.access_key_id for call in sim.calls}
    assert len(keys) == 1
    (key,) = keys
    assert key != "testing" and key.startswith("ASIA")  # STS session credentials, not the base ones


def test_rate_limiter_spaces_calls_beyond_the_burst():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        limiter.acquire()
    # A burst of 2, then one call every half second.
    assert now[0] == pytest.approx(2.0)


def test_group_discovery_against_moto_as_an_independent_fake(moto_url):
    client = boto3.client(
        "codedeploy",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_application(applicationName="web", computePlatform="Server")
    client.create_deployment_group(
        applicationName="web", deploymentGroupName="prod", serviceRoleArn="arn:aws:iam::123456789012:role/cd"
    )
    revision = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}}
    ids = [
        client.create_deployment(applicationName="web", deploymentGroupName="prod", revision=revision)["deploymentId"]
        for _ in range(3)
    ]
    exporter = exporter_for(
        {
            "aws": {"region": "us-east-1", "endpoint_url": moto_url},
            "deployment_groups": [{"application": "web", "deployment_group": "prod", "latest": 2}],
        }
    )
    exporter.poll_once()
    body = exporter.snapshot.body
    followed = {dict(ls)["deployment_id"] for (n, ls), _ in samples(body).items() if n == "codedeploy_deployment_info"}
    assert len(followed) == 2 and followed <= set(ids)
    some = next(iter(followed))
    # moto's deployments never leave Created.
    assert (
        value(
            body,
            "codedeploy_deployment_status",
            deployment_id=some,
            status="Created",
            application="web",
            deployment_group="prod",
        )
        == 1
    )
    assert value(body, "codedeploy_exporter_api_requests_total", operation="ListDeployments") >= 1
