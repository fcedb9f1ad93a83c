"""`python -m wasmpredict`: the exporter's command line."""

import sys

from .cli import main

sys.exit(main())
