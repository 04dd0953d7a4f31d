"""A CodeDeploy endpoint on loopback that answers with given raw bytes, so published and
generated payloads reach the exporter through real boto3, real HTTP and botocore's own parser
(not a stub of the parsed dict). Operations without an answer get an empty, valid body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics

Answer = Callable[[dict[str, Any]], bytes]  # the request's JSON -> the response body

EMPTY = {
    "ListApplications": b'{"applications": []}',
    "ListDeploymentGroups": b'{"deploymentGroups": []}',
    "BatchGetDeploymentGroups": b'{"deploymentGroupsInfo": []}',
    "ListTagsForResource": b'{"Tags": []}',
    "ListDeployments": b'{"deployments": []}',
    "BatchGetDeployments": b'{"deploymentsInfo": []}',
    "ListDeploymentTargets": b'{"targetIds": []}',
    "BatchGetDeploymentTargets": b'{"deploymentTargets": []}',
}


class ReplayServer:
    def __init__(self, answers: Mapping[str, bytes | Answer] | None = None) -> None:
        self.answers: dict[str, bytes | Answer] = dict(answers or {})
        self.calls: list[str] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
                replay.calls.append(operation)
                answer = replay.answers.get(operation, EMPTY.get(operation, b"{}"))
                body = answer if isinstance(answer, bytes) else answer(json.loads(raw or b"{}"))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-amzn-RequestId", "replay")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def exporter(self, **sections: Any) -> Exporter:
        """An exporter whose every CodeDeploy call goes to this server (no retries)."""
        config = parse_config(
            {
                "aws": {"region": "us-east-1", "endpoint_url": self.endpoint_url, "account_id": "111122223333"},
                "poll": {"interval": "30s", "max_concurrency": 2, "max_requests_per_second": 1000},
                **sections,
            }
        )
        metrics = ExporterMetrics()
        clients = ClientFactory(
            metrics,
            2,
            1000,
            static_credentials=("testing", "testing"),
            read_timeout=5,
            connect_timeout=1,
            max_attempts=1,
        )
        return Exporter(config, clients, metrics)
