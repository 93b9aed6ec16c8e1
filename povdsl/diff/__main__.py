"""`python -m povdsl.diff ...`: the diff command without the rest of the CLI."""

import sys

from povdsl.diff.cli import main

sys.exit(main())
