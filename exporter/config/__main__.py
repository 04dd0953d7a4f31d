"""`python -m exporter.config [--check]`: write (or check) every file generated from the models."""

import sys

from exporter.config.schema import main

sys.exit(main(sys.argv[1:]))
