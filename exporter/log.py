"""Logging set up once by the CLI: one event per line, logfmt or JSON.

The exporter's own messages are already `key=value` pairs (values from the API are quoted and
escaped where they are logged); anything else (botocore, urllib3) is wrapped as msg="...".
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING

from exporter.model import LOG_TAIL_MAX

if TYPE_CHECKING:
    from exporter.model import LifecycleEvent

DIAGNOSTICS = ("summary", "full")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_KV = re.compile(r"^[a-z_]+=")


def _ts(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


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
        entry = {"ts": _ts(record), "level": _level(record), "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _Settings:
    # Set once by the CLI (like the handlers); read by the poller's failure log and the
    # status page, so both show the same amount of a deploy script's output.
    diagnostics = "summary"
    log_tail_chars = LOG_TAIL_MAX  # --log.diagnostics.max-log-tail


def diagnostics_setting() -> str:
    """`summary` (hook, error code, script name) or `full` (adds script message and log tail)."""
    return _Settings.diagnostics


def set_diagnostics(value: str) -> None:
    if value not in DIAGNOSTICS:
        raise ValueError(f"--log.diagnostics {value!r}: expected one of {', '.join(DIAGNOSTICS)}")
    _Settings.diagnostics = value


def set_log_tail_chars(value: int) -> None:
    if not 0 <= value <= LOG_TAIL_MAX:
        raise ValueError(f"--log.diagnostics.max-log-tail {value}: expected 0 to {LOG_TAIL_MAX} characters")
    _Settings.log_tail_chars = value


def kept_output() -> tuple[bool, int]:
    """What of a failed hook's script output a settled target keeps (Target.settled): the
    message and how much of the log tail, as much as is ever shown and no more."""
    full = _Settings.diagnostics == "full"
    return full, _Settings.log_tail_chars if full else 0


def bounded_tail(text: str, limit: int) -> str:
    """The last `limit` characters of a log tail, marked with a leading ellipsis when cut."""
    if limit <= 0:
        return ""
    return text if len(text) <= limit else "\u2026" + text[-limit:]


def diagnostics_fields(event: LifecycleEvent | None, full: bool | None = None) -> dict[str, str]:
    """The failed hook's diagnostics to show, as ordered name -> value.

    A deploy script's message and log tail are its own stdout/stderr, which may hold secrets:
    they are shown only with `--log.diagnostics=full`. Error code and script name are
    CodeDeploy's and always shown.
    """
    if full is None:
        full = _Settings.diagnostics == "full"
    diag = event.diagnostics if event else None
    fields = {
        "lifecycle_event": event.name if event else "",
        "error_code": diag.error_code if diag else "",
        "script_name": diag.script_name if diag else "",
    }
    if full:
        fields["message"] = diag.message if diag else ""
        fields["log_tail"] = bounded_tail(diag.log_tail, _Settings.log_tail_chars) if diag else ""
    return fields


def setup(
    level: str = "info", fmt: str = "logfmt", diagnostics: str = "summary", log_tail_chars: int = LOG_TAIL_MAX
) -> None:
    set_diagnostics(diagnostics)
    set_log_tail_chars(log_tail_chars)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    # botocore narrates every retry at INFO/DEBUG; our own metrics count those.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(LEVELS[level], logging.WARNING))
    # A role that cannot be assumed makes botocore log a warning with a traceback on every call;
    # the exporter logs it once per outage (event=api_error, with the account and region).
    logging.getLogger("botocore.credentials").setLevel(max(LEVELS[level], logging.ERROR))
