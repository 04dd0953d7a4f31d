"""exporter.aws's SQS client for the event consumer: long poll parameters and timeouts."""

from __future__ import annotations

import pytest

from exporter.aws.clients import ClientFactory
from exporter.aws.errors import ApiError
from exporter.aws.sqs import SQS_READ_TIMEOUT
from exporter.config import AwsSettings
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import SimulatorServer


@pytest.fixture
def server():
    with SimulatorServer() as running:
        yield running


def sqs_api(server):
    factory = ClientFactory(ExporterMetrics(), static_credentials=("t", "t"))
    return factory.sqs(AwsSettings(region="us-east-1", endpoint_url=server.endpoint_url))


def test_receive_long_polls_20_seconds_for_up_to_10_messages_with_a_longer_read_timeout(server):
    api = sqs_api(server)
    sent = []
    api._client.meta.events.register(
        "provide-client-params.sqs.ReceiveMessage", lambda params, **_: sent.append(dict(params))
    )
    url = server.sqs.create_queue("q", server.endpoint_url)
    for n in range(12):
        server.sqs.send(url, f"m{n}")
    messages = api.receive(url)
    assert len(messages) == 10
    assert sent[0]["WaitTimeSeconds"] == 20 and sent[0]["MaxNumberOfMessages"] == 10
    assert "SentTimestamp" in sent[0]["MessageSystemAttributeNames"]
    assert api._client.meta.config.read_timeout == SQS_READ_TIMEOUT > 20


def test_delete_reports_the_entries_sqs_refused_and_errors_become_api_errors(server):
    api = sqs_api(server)
    url = server.sqs.create_queue("q", server.endpoint_url)
    server.sqs.send(url, "m")
    [message] = api.receive(url, wait_seconds=0)
    assert api.delete(url, ["bogus", message["ReceiptHandle"]]) == [(0, "ReceiptHandleIsInvalid")]
    with pytest.raises(ApiError) as exc:
        api.receive(server.endpoint_url + "/123456789012/missing", wait_seconds=0)
    assert (exc.value.operation, exc.value.code) == ("ReceiveMessage", "AWS.SimpleQueueService.NonExistentQueue")


def test_sqs_endpoint_resolves_from_aws_endpoint_url_sqs_when_the_config_names_none(server, monkeypatch):
    from exporter.config import loads_config

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", server.endpoint_url)
    config = loads_config("""
aws: {region: us-east-1, endpoint_url: "http://127.0.0.1:9"}   # CodeDeploy's, not SQS's
events: {sqs_queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q"}
""")
    assert config.events.connection.endpoint_url is None
    url = server.sqs.create_queue("q", server.endpoint_url)
    server.sqs.send(url, "via the environment")
    api = ClientFactory(ExporterMetrics(), static_credentials=("t", "t")).sqs(config.events.connection)
    [message] = api.receive(config.events.sqs_queue_url, wait_seconds=0)
    assert message["Body"] == "via the environment"
