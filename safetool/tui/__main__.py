"""``python -m safetool.tui [--port P] [--technician DIR] [--lang en|zh_CN]``: the app on its
own, the same as ``safetool tui``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from safetool.command_words import use_language, wanted_language
from safetool.tui.options import add_tui_options, run_from_arguments


def main() -> int:
    use_language(wanted_language(sys.argv[1:]))
    parser = argparse.ArgumentParser(prog="python -m safetool.tui")
    add_tui_options(parser)
    return asyncio.run(run_from_arguments(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
