"""`python -m povdsl.tools.diff ...`: the diff command without the rest of the CLI."""

import sys

from povdsl.tools.diff.cli import main

sys.exit(main())
