"""Logging set up once by the CLI: one event per line, logfmt or JSON.

The exporter's own messages are already `key=value` pairs (values from the API are quoted and
escaped where they are logged); anything else (botocore, urllib3) is wrapped as msg="...".
"""

from __future__ import annotations

import json
import logging
import re
import time

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "error": logging.ERROR}
_KV = re.compile(r"^[a-z_]+=")


def _ts(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + \
        f".{int(record.msecs):03d}Z"


def quote(value: str) -> str:
    """Quote a value for a key=value log line; values from the API may hold quotes and newlines."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _level(record: logging.LogRecord) -> str:
    return "warn" if record.levelno == logging.WARNING else record.levelname.lower()


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not _KV.match(message) or "\n" in message:
            message = "msg=" + quote(message)
        line = f"ts={_ts(record)} level={_level(record)} logger={record.name} {message}"
        if record.exc_info:
            line += " exception=" + quote(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": _ts(record), "level": _level(record), "logger": record.name,
                 "msg": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "info", fmt: str = "logfmt") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    # botocore narrates every retry at INFO/DEBUG; our own metrics count those.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(LEVELS[level], logging.WARNING))
