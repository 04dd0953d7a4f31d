"""The metric contract: every family the exporter serves, declared once.

``base`` holds what a family is (its type, level, identity labels and sample functions);
``group``, ``deployment``, ``target`` and ``exporter`` declare the families of each kind of
object with the functions that yield their samples; ``table`` puts them in exposition order.
Import from those modules: this package re-exports nothing.
"""
