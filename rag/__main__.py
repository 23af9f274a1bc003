"""The `rag` command and `python -m rag`: Ctrl-C while the CLI is still being imported ends as it
does later, with exit code 130 and no traceback."""

import sys


def run() -> None:
    try:
        from rag.cli import main

        main()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run()
