"""Runs the event consumer for the current `events` settings: started with the exporter,
restarted when a reload changes the section, stopped on shutdown."""

from __future__ import annotations

import logging

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.aws.errors import ApiError
from exporter.config import EventsSettings
from exporter.events.consumer import EventConsumer
from exporter.events.metrics import EventMetrics
from exporter.events.refresh import refresh_through
from exporter.log import quote

log = logging.getLogger(__name__)


class EventsRunner:
    def __init__(self, exporter: Exporter, clients: ClientFactory) -> None:
        self.exporter, self.clients = exporter, clients
        self.settings: EventsSettings | None = None
        self.consumer: EventConsumer | None = None
        self.metrics: EventMetrics | None = None

    def apply(self, settings: EventsSettings | None) -> bool:
        """(Re)start the consumer if the settings changed. Returns False if an old consumer's
        refresh was still running when it had to stop."""
        if settings == self.settings:
            return True
        stopped = self.stop()
        self.settings = settings
        if settings is None:
            return stopped
        if self.metrics is None:  # registered once: the families stay if events are turned off
            self.metrics = EventMetrics(self.exporter.metrics.registry)
        try:
            sqs = self.clients.sqs(settings.connection)
        except ApiError as exc:
            self.metrics.errors.labels(exc.operation, exc.code).inc()
            log.error(
                "event=events_consumer_error operation=%s error_code=%s message=%s polling=continues",
                exc.operation,
                exc.code,
                quote(exc.message),
            )
            return stopped
        self.consumer = EventConsumer(
            sqs,
            settings.sqs_queue_url,
            settings.debounce,
            refresh_through(self.exporter),
            self.metrics,
            republish=self.exporter.republish,
            parse_errors=self.clients.parse_errors,
        ).start()
        return stopped

    def stop(self) -> bool:
        if self.consumer is None:
            return True
        consumer, self.consumer = self.consumer, None
        return consumer.stop()
