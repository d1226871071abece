"""python -m makemore: see makemore/cli.py."""
import sys

from .cli import main

sys.exit(main())
