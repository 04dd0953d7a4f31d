"""From records to exposition: views of the records, the family table (`families/`), which
families and series the config selects (`selection.py`), the cached renderer, the snapshot of
one poll's bytes, the exporter's own metrics and the text format they share."""
