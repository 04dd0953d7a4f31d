"""Config reload (SIGHUP, `POST /-/reload`): validate the new file, swap it in, or keep the old.

codedeploy_exporter_config_last_reload_successful 0            # the last attempt failed
codedeploy_exporter_config_last_reload_success_timestamp_seconds 1.7e9   # last good load
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from exporter.app import Exporter
from exporter.config import Config, ConfigError, config_warnings
from exporter.log import quote

log = logging.getLogger(__name__)


class Reloader:
    def __init__(self, exporter: Exporter, load: Callable[[], Config], clock: Callable[[], float] = time.time) -> None:
        self.exporter = exporter
        self._load = load
        self._clock = clock
        self._lock = threading.Lock()  # SIGHUP and HTTP may ask at once; one reload at a time

    def reload(self) -> tuple[bool, str]:
        """Returns (success, message for the HTTP caller)."""
        metrics = self.exporter.metrics
        with self._lock:
            try:
                config = self._load()
            except Exception as exc:  # a reload must never take the daemon down
                metrics.reload_successful.set(0)
                self.exporter.republish()
                if isinstance(exc, ConfigError):
                    log.error(
                        "event=config_reload_failed problems=%d detail=%s kept=previous",
                        len(exc.problems),
                        quote("; ".join(exc.problems)),
                    )
                    return False, "config reload failed, previous config kept:\n" + str(exc)
                log.exception("event=config_reload_failed")
                return False, f"config reload failed, previous config kept: {exc}"
            old = self.exporter.config
            self.exporter.apply_config(config)
            metrics.reload_successful.set(1)
            metrics.reload_success_time.set(self._clock())
            self.exporter.republish()
        for warning in config_warnings(config):
            log.warning("event=config_warning message=%s", quote(warning))
        log.info(
            "event=config_reloaded source=%s targets=%d deployments=%d groups=%d changed=%s",
            quote(config.source),
            len(config.targets),
            len(config.deployments),
            len(config.deployment_groups),
            str(config != old).lower(),
        )
        return True, "config reloaded"
