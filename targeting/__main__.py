"""``python -m targeting``: see :mod:`targeting.cli`."""

import sys

from targeting.cli import main

sys.exit(main())
