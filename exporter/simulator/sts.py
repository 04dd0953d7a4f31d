"""STS over the AWS Query protocol, as boto3's ``sts`` client speaks it: a form-encoded POST
(``Action=GetCallerIdentity&Version=2011-06-15``) answered with XML (see facts.py)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

STS_VERSION = "2011-06-15"
STS_NAMESPACE = f"https://sts.amazonaws.com/doc/{STS_VERSION}/"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
XML_CONTENT_TYPE = "text/xml"


def is_query_request(target: str | None, content_type: str | None) -> bool:
    """A Query-protocol call carries its operation in the form body, not in X-Amz-Target."""
    return not target and (content_type or "").split(";")[0].strip() == FORM_CONTENT_TYPE


def parse_query(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def user_identity(access_key_id: str | None, account: str) -> dict[str, str]:
    """GetCallerIdentity of an IAM user's long-term key: UserId is the user's unique id
    (AIDA...), as in the CLI's get-caller-identity example."""
    digest = hashlib.sha256((access_key_id or "").encode()).hexdigest().upper()
    return {"UserId": "AIDA" + digest[:17], "Account": account, "Arn": f"arn:aws:iam::{account}:user/simulator"}


def _members(result: dict[str, Any]) -> str:
    # Nested structures (AssumeRole's Credentials) become nested elements; None is left out.
    present = {k: v for k, v in result.items() if v is not None}
    return "".join(f"<{k}>{_members(v) if isinstance(v, dict) else escape(str(v))}</{k}>" for k, v in present.items())


def render_result(operation: str, result: dict[str, Any], request_id: str) -> bytes:
    members = _members(result)
    return (
        f'<{operation}Response xmlns="{STS_NAMESPACE}">'
        f"<{operation}Result>{members}</{operation}Result>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{operation}Response>"
    ).encode()


def render_error(code: str, message: str, request_id: str, status: int) -> bytes:
    kind = "Receiver" if status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}">'
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
