"""Load, slow-client, shutdown, soak and fault figures for docs/reliability.md.

    python -m bench reliability              # full run (~2 minutes), rewrites docs/reliability.md
    python -m bench reliability --quick      # shorter load run, prints the report only

One module per scenario (load.py: many scrapers and one slow client, shutdown.py, soak.py),
scrape.py for the scrapers' process, report.py for the document and run.py for the whole run.
The scenario functions are also what tests/integration/test_load.py and tests/integration/test_shutdown.py run (with
smaller numbers and asserts). Everything runs on loopback against the embedded simulator;
nothing reaches AWS.
"""
