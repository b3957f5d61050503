"""``python -m tessera``: the same as the ``tessera`` command."""

import sys

from tessera.cli._main import main

sys.exit(main())
