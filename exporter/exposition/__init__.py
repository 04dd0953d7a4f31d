"""From records to exposition: views of the records, the family table, the cached renderer,
the exporter's own metrics and the text format they share."""
