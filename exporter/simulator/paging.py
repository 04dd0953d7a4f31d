"""Pagination of the simulator's list operations: pages of ``page_size`` items and the opaque
next tokens that carry the offset between calls."""

from __future__ import annotations

import base64
from typing import Any

from .records import ApiError

DEFAULT_PAGE_SIZE = 100  # list operations (facts.py: AWS documents no page size)


def page(
    operation: str, key: str, items: list[Any], body: dict[str, Any], page_size: int, token: str = "nextToken"
) -> dict[str, Any]:
    """The page ``body``'s token asks for, under ``key``, and the token of the next page if any.

    ``token`` is the member carrying it both ways (ListTagsForResource spells it NextToken)."""
    offset = _decode_token(operation, body.get(token))
    result: dict[str, Any] = {key: items[offset : offset + page_size]}
    if offset + page_size < len(items):
        result[token] = _encode_token(operation, offset + page_size)
    return result


def _encode_token(operation: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{operation}:{offset}".encode()).decode()


def _decode_token(operation: str, token: str | None) -> int:
    # A token is only good for the operation that issued it.
    if token is None:
        return 0
    try:
        name, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if name == operation and int(offset) >= 0:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError("InvalidNextTokenException", "The next token was specified in an invalid format.")
