"""``python -m connectors`` is the ``connectors`` command."""

import sys

from connectors.cli import main

sys.exit(main())
