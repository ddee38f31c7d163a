"""The book's sources: its configuration, the notebooks it evaluates, and
what a copy of the book needs in order to build."""
import configparser
import shutil

from booktools import ROOT
from booktools.layout import BOOK


def read_config():
    config = configparser.ConfigParser()
    config.read(ROOT / 'config.ini', encoding='utf-8')
    return config


def notebook_sources():
    """The .md files d2lbook evaluates, as `[build] notebooks` lists them."""
    patterns = read_config()['build']['notebooks'].split()
    found = sorted({p for pat in patterns for p in ROOT.glob(pat)})
    return [p for p in found if p.is_file()]


# What a copy of the book needs to build: sources, not build output.
SOURCES = ['booktools', 'chapters', 'img', 'config.ini', 'index.md',
           'requirements.txt', 'constraints.txt', 'requirements-lock.txt',
           'pyproject.toml', 'Makefile', 'TERMINOLOGY.md',
           'AUTHORING.md', 'TWINS.tsv']


def copy_book(dest, cache=True):
    """Copy the book's sources to `dest` (tests, benchmarks); with `cache`,
    also the execution cache, so unchanged notebooks are not re-run."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name,
                            ignore=shutil.ignore_patterns('__pycache__'))
        elif src.exists():
            shutil.copy2(src, dest / name)
    if cache and BOOK.cache.exists():  # not an entry being written (it is
        # renamed into place when whole; a build may be writing one now)
        shutil.copytree(BOOK.cache, dest / BOOK.rel(BOOK.cache),
                        ignore=shutil.ignore_patterns('*.tmp'))
    return dest
