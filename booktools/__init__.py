"""The book's own tooling: evaluate, build, check. See README.md and
AUTHORING.md ("The tooling") for how the modules are layered."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


class BookError(Exception):
    """A problem in the book's sources, told as `file:line: what — fix`."""


def run_main(main):
    """Run a command-line entry point; a BookError ends it with its message."""
    try:
        main(sys.argv[1:])
    except BookError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
