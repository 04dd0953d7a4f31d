"""A discovery scope against moto, an independent CodeDeploy fake (a cross-check).

moto implements ListApplications, ListDeploymentGroups, region-wide ListDeployments with
createTimeRange, and ListTagsForResource, but not BatchGetDeploymentGroups (group state then
stays empty and is reported as an API error; the scope's deployments do not depend on it).
"""

import boto3
from support.expo import samples

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics

REVISION = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}}


def test_scope_follows_exactly_the_tagged_groups_deployments_on_moto(moto_url):
    client = boto3.client(
        "codedeploy",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    expected = set()
    for application, group, team in (
        ("web-shop", "shop-prod", "payments"),
        ("web-shop", "shop-dev", "search"),
        ("api", "api-prod", "payments"),
        ("sandbox-x", "x-prod", "payments"),
    ):
        if application not in {a for a in client.list_applications()["applications"]}:
            client.create_application(applicationName=application, computePlatform="Server")
        client.create_deployment_group(
            applicationName=application,
            deploymentGroupName=group,
            serviceRoleArn="arn:aws:iam::123456789012:role/cd",
            tags=[{"Key": "team", "Value": team}],
        )
        deployment_id = client.create_deployment(
            applicationName=application, deploymentGroupName=group, revision=REVISION
        )["deploymentId"]
        if team == "payments" and not application.startswith("sandbox-"):
            expected.add(deployment_id)
    config = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": moto_url, "account_id": "123456789012"},
            "poll": {"max_requests_per_second": 1000},
            "discovery": [{"applications": {"exclude": "sandbox-.*"}, "tags": {"team": "payments"}}],
        }
    )
    metrics = ExporterMetrics()
    exporter = Exporter(
        config,
        ClientFactory(metrics, static_credentials=("testing", "testing"), max_attempts=1, max_requests_per_second=1000),
        metrics,
    )
    exporter.poll_once()
    exported = {
        dict(ls)["deployment_id"]
        for (n, ls), _ in samples(exporter.snapshot.body).items()
        if n == "codedeploy_deployment_info"
    }
    assert exported == expected and len(expected) == 2
    exporter.poll_once()  # idle: one region-wide listing, nothing else that succeeds
    scope = {"account_id": "123456789012", "region": "us-east-1", "operation": "ListDeployments"}
    listed = samples(exporter.snapshot.body)[("codedeploy_exporter_api_requests_total", frozenset(scope.items()))]
    # First poll: window + non-terminal listing, and one history listing per matched group (2,
    # the DORA windows' read at start, also accepted by moto); second poll: one.
    assert listed == 3 + 2
