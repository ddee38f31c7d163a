"""The book's own tooling: evaluate, build, check. See README.md."""
import configparser
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


class BookError(Exception):
    """A problem in the book's sources, told as `file:line: what — fix`."""


def read_config():
    config = configparser.ConfigParser()
    config.read(ROOT / 'config.ini', encoding='utf-8')
    return config


def notebook_sources():
    """The .md files d2lbook evaluates, as `[build] notebooks` lists them."""
    patterns = read_config()['build']['notebooks'].split()
    found = sorted({p for pat in patterns for p in ROOT.glob(pat)})
    return [p for p in found if p.is_file()]


def run_main(main):
    """Run a command-line entry point; a BookError ends it with its message."""
    try:
        main(sys.argv[1:])
    except BookError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
