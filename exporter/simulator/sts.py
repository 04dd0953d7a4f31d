"""STS over the AWS Query protocol, as boto3's ``sts`` client speaks it: a form-encoded POST
(``Action=GetCallerIdentity&Version=2011-06-15``) answered with XML (see facts.py). IAM
(iam.py) speaks the same protocol and shares the parser and renderer."""

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


def _value(value: Any) -> str:
    # Nested structures (AssumeRole's Credentials) become nested elements, lists <member>s
    # (IAM's AccountAliases), booleans true/false as the Query protocol writes them.
    if isinstance(value, dict):
        return _members(value)
    if isinstance(value, list):
        return "".join(f"<member>{_value(v)}</member>" for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _members(result: dict[str, Any]) -> str:
    # None is left out.
    return "".join(f"<{k}>{_value(v)}</{k}>" for k, v in result.items() if v is not None)


def render_result(operation: str, result: dict[str, Any], request_id: str, namespace: str = STS_NAMESPACE) -> bytes:
    """``<{operation}Response>`` with its ``<{operation}Result>`` (the model's resultWrapper) in
    ``namespace`` (STS's, or IAM's for IAM calls)."""
    members = _members(result)
    return (
        f'<{operation}Response xmlns="{namespace}">'
        f"<{operation}Result>{members}</{operation}Result>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{operation}Response>"
    ).encode()


def render_error(code: str, message: str, request_id: str, status: int, namespace: str = STS_NAMESPACE) -> bytes:
    kind = "Receiver" if status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="{namespace}">'
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
