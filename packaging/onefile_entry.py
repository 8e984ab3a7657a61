"""The single-file safetool's entry point (packaging/build_onefile.py)."""

import sys

from safetool.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
