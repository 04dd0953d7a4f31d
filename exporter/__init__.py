"""Prometheus exporter for AWS CodeDeploy."""

__version__ = "0.1.0"
