"""Where a benchmark ran: CPU model, cores, Python and library versions."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo's text ("unknown" when absent)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def describe() -> dict[str, str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = cpu_model(handle.read())
    except OSError:
        cpu = platform.processor() or "unknown"
    versions = ", ".join(f"{name} {_version(name)}" for name in ("boto3", "prometheus-client"))
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{platform.system()} {platform.release()}",
        "Libraries": versions,
        "Date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
