"""HTTP front end for the simulator: the CodeDeploy JSON 1.1 protocol on loopback, and STS's
(and, with a Cloud, IAM's) Query protocol on the same port.

boto3 with ``endpoint_url`` POSTs to ``/`` with ``X-Amz-Target: CodeDeploy_20141006.<Op>``;
its ``sts`` client POSTs a form (``Action=GetCallerIdentity``) without that header, and so does
its ``iam`` client (``Action=ListAccountAliases``): the service name of the SigV4 credential
scope tells them apart (the ``Version`` parameter when the request is unsigned);
``GET /_simulator/state`` returns the simulator's snapshot as ground truth for tests.

Given a :class:`~exporter.simulator.cloud.Cloud`, CodeDeploy calls go to the Simulator of the
access key's account and the signing Region, and STS calls (AssumeRole too), IAM calls, Organizations
calls (X-Amz-Target ``AWSOrganizationsV20161128.<Op>``) and the Account service's
``POST /listRegions`` to the Cloud.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from . import iam, organizations_api, regions, sts
from .cloud import Cloud
from .records import ApiError
from .sqs import service as sqs_sim
from .state import Simulator

TARGET_PREFIX = "CodeDeploy_20141006."
CONTENT_TYPE = "application/x-amz-json-1.1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_SCOPE_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")
_SCOPE_SERVICE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/")
QUERY_NAMESPACES = {"sts": sts.STS_NAMESPACE, "iam": iam.IAM_NAMESPACE}


def access_key_from_authorization(header: str | None) -> str | None:
    """Parse the access key id out of a SigV4 ``Authorization`` header."""
    match = _CREDENTIAL.search(header or "")
    return match.group(1) if match else None


def region_from_authorization(header: str | None) -> str | None:
    """Parse the signing region out of a SigV4 ``Authorization`` header's credential scope."""
    match = _SCOPE_REGION.search(header or "")
    return match.group(1) if match else None


def service_from_authorization(header: str | None) -> str | None:
    """Parse the service name (``sts``, ``iam``...) out of a SigV4 ``Authorization`` header's credential scope."""
    match = _SCOPE_SERVICE.search(header or "")
    return match.group(1) if match else None


def query_service(authorization: str | None, version: str | None) -> str:
    """Which Query-protocol service a form POST is for: the credential scope's service if it is
    IAM or STS, else IAM for IAM's API version, else STS."""
    service = service_from_authorization(authorization)
    if service in QUERY_NAMESPACES:
        return service
    return "iam" if version == iam.IAM_VERSION else "sts"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool expects
    timeout = 30  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # small responses on keep-alive: avoid delayed-ACK stalls
    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        if target.startswith(sqs_sim.TARGET_PREFIX):
            self._sqs(target[len(sqs_sim.TARGET_PREFIX) :], raw)
            return
        if sts.is_query_request(target, self.headers.get("Content-Type")):
            self._answer_query(raw)
            return
        cloud = self.server.cloud
        if cloud is not None and target.startswith(organizations_api.TARGET_PREFIX):
            operation = target[len(organizations_api.TARGET_PREFIX) :]
            self._cloud_json(cloud, "organizations", operation, raw, CONTENT_TYPE)
            return
        # The Account service is rest-json: its operation is in the path, not in a header.
        if cloud is not None and not target and self.path.split("?")[0] == regions.LIST_REGIONS_PATH:
            self._cloud_json(cloud, "account", "ListRegions", raw, regions.CONTENT_TYPE)
            return
        if not target.startswith(TARGET_PREFIX):
            self._send(
                400,
                {"__type": "UnknownOperationException", "message": f"Unknown target {target!r}"},
            )
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"__type": "SerializationException", "message": "Malformed JSON"})
            return
        authorization = self.headers.get("Authorization")
        key, region = access_key_from_authorization(authorization), region_from_authorization(authorization)
        cloud = self.server.cloud
        simulator = cloud.codedeploy_for(key, region) if cloud is not None else self.server.simulator
        status, payload = simulator.handle(target[len(TARGET_PREFIX) :], body, access_key_id=key, region=region)
        self._send(status, payload)

    def _cloud_json(self, cloud: Cloud, service: str, operation: str, raw: bytes, content_type: str) -> None:
        # Organizations (JSON 1.1) and the Account service (rest-json): see cloud.py.
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"__type": "SerializationException", "message": "Malformed JSON"}, content_type)
            return
        authorization = self.headers.get("Authorization")
        key, region = access_key_from_authorization(authorization), region_from_authorization(authorization)
        status, payload = cloud.handle(service, operation, body, key, region)
        self._send(status, payload, content_type)

    def _sqs(self, operation: str, raw: bytes) -> None:
        # SQS (JSON 1.0) for the exporter's event consumer: see sqs/ and its facts.py.
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"__type": "SerializationException", "message": "Malformed JSON"}, sqs_sim.CONTENT_TYPE)
            return
        host, port = cast(tuple[str, int], self.server.server_address[:2])  # AF_INET: a str host
        status, payload, headers = self.server.sqs.handle(operation, body, f"http://{host}:{port}")
        self._send(status, payload, sqs_sim.CONTENT_TYPE, headers)

    def _answer_query(self, raw: bytes) -> None:
        params = sts.parse_query(raw)
        operation = params.pop("Action", "")
        authorization = self.headers.get("Authorization")
        service = query_service(authorization, params.pop("Version", None))
        key, region = access_key_from_authorization(authorization), region_from_authorization(authorization)
        if self.server.cloud is not None:
            status, payload = self.server.cloud.handle(service, operation, dict(params), key, region)
        elif service == "iam":  # IAM lives in the Cloud: a lone Simulator knows none of its actions
            status, payload = 400, ApiError("InvalidAction", f"Could not find operation {operation}").body()
        else:
            status, payload = self.server.simulator.handle(operation, params, key, service="sts", region=region)
        request_id, namespace = str(uuid.uuid4()), QUERY_NAMESPACES[service]
        if status == 200:
            data = sts.render_result(operation, payload, request_id, namespace)
        else:
            data = sts.render_error(payload["__type"], payload["message"], request_id, status, namespace)
        self._send_bytes(status, data, sts.XML_CONTENT_TYPE, request_id)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/_simulator/state":
            self._send(200, self.server.simulator.snapshot(), "application/json")
        else:
            self._send(404, {"message": "not found"}, "application/json")

    def _send(
        self,
        status: int,
        payload: dict[str, Any],
        content_type: str = CONTENT_TYPE,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), content_type, str(uuid.uuid4()), headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, request_id: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", request_id)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (e.g. its read timeout fired during a hang fault)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request on stderr would drown the exporter's own logs


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], simulator: Simulator, sqs: sqs_sim.SqsService, cloud: Cloud | None
    ) -> None:
        super().__init__(address, _Handler)
        self.simulator = simulator
        self.sqs = sqs
        self.cloud = cloud

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # disconnects mid-request are expected with timeouts and hangs


class SimulatorServer:
    """Serve a :class:`Simulator` on ``host:port`` (port 0 picks a free one) in a daemon thread.

    With ``cloud``, serve a whole :class:`Cloud` instead: ``simulator`` then defaults to the
    management account's Simulator in the Cloud's Region (what ``/_simulator/state`` shows)."""

    def __init__(
        self,
        simulator: Simulator | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sqs: sqs_sim.SqsService | None = None,
        cloud: Cloud | None = None,
    ) -> None:
        if simulator is None:
            simulator = cloud.simulator(cloud.management_account, cloud.region) if cloud is not None else Simulator()
        self.simulator = simulator
        self.cloud = cloud
        self.sqs = sqs if sqs is not None else sqs_sim.SqsService()
        self._address = (host, port)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("simulator server is not started")
        host, port = cast("tuple[str, int]", self._httpd.server_address[:2])  # getsockname(): str hosts
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        if self._httpd is None:
            self._httpd = _Server(self._address, self.simulator, self.sqs, self.cloud)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="codedeploy-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.simulator.interrupt_waits()  # release requests held by hang/latency faults
        if self.cloud is not None:
            self.cloud.interrupt_waits()
        self.sqs.interrupt_waits()  # ... and SQS long polls
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
