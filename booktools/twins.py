"""Does each Korean block still translate its English twin? (AUTHORING.md)

    python -m booktools.twins accept [FILE[:LINE] ...]

English is the source language. `TWINS.tsv`, committed beside the chapters,
records for each Korean block the English text it translates, as digests of
the two texts with their whitespace collapsed (so that re-wrapping a block
changes nothing). One line per pair, tab-separated:

    chapters/x.md  <Korean digest>  <English digest>  <first words of the Korean>

Pairs are the `::: en` blocks followed by their `::: ko` twin
(`booktools.langs.pairs`). Looked up by the digest of its Korean, in any
file, a pair is

- fresh when the record has its Korean with its English;
- stale when the record has its Korean with other English only: the English
  changed after the Korean was written;
- new when the record does not have its Korean: a new pair, or a Korean
  twin that was edited (which counts as updating it). A new pair is fresh.

Keyed on content, a record survives moves and reordering, within a file and
across files. `refresh` writes it again from the sources: new pairs are
recorded with their English, stale ones keep the English they translate,
and blocks that are gone leave nothing behind. `make lint` refreshes it and
fails when that changed it (commit it); `make html` only reads it.

`accept` records the current English of stale pairs as translated, for an
English change that needs no new translation (a typo fix): those at the
given lines, those of the given files, or, with no argument, every pair of
the book (which rewrites the record from the sources).

Why not gettext/po4a's fuzzy entries: they keep translations in separate
catalogues, and this book keeps both languages in one source, block by block.
"""
import collections
import os
import pathlib
import re
import sys

from booktools import BookError, ROOT, langs
from booktools.book import notebook_sources
from booktools.layout import content_id, write_atomic

NAME = 'TWINS.tsv'
HEADER = """\
# The English each Korean block translates (see AUTHORING.md): file, digest
# of the Korean, digest of its English, the first words of the Korean.
# `make lint` keeps it up to date and `make twins-accept` accepts an English
# change; commit it with the chapters.
"""
SIZE = 12  # hex digits of a digest: 48 bits, no collision among a few pairs
LINE = re.compile(r'^([^\t]+)\t([0-9a-f]{12})\t([0-9a-f]{12})(?:\t.*)?$')
CONFLICT = re.compile(r'^(<{7}|={7}|>{7}|\|{7})( |$)')
STALE = 'Korean twin is stale — its English changed; update the Korean'

Entry = collections.namedtuple('Entry', 'file ko en words')


def normalize(text):
    """The words of a block: any run of whitespace is one space."""
    return ' '.join(text.split())


def digest(text):
    return content_id(normalize(text), SIZE)


class Pair:
    """An English block and its Korean twin in `file`, with their digests."""

    def __init__(self, file, en, ko):
        self.file, self.en_block, self.ko_block = file, en, ko
        self.en, self.ko = digest(en.text), digest(ko.text)

    @property
    def line(self):
        """Where lint reports it: the `::: ko` line."""
        return self.ko_block.line

    def entry(self, en=None):
        return Entry(self.file, self.ko, en or self.en,
                     normalize(self.ko_block.text)[:40])


def pairs(file, markdown):
    return [Pair(file, en, ko) for en, ko in langs.pairs(markdown)]


class Record:
    """The entries of a record file, and what each Korean translates."""

    def __init__(self, entries=(), path=None, text=''):
        self.entries, self.path, self.text = list(entries), path, text
        self.english = collections.defaultdict(set)
        for e in self.entries:
            self.english[e.ko].add(e.en)

    @classmethod
    def read(cls, path):
        """The record at `path`; empty if there is none. The lines of a git
        conflict are skipped: the record of a merge is both sides' lines."""
        path = pathlib.Path(path)
        try:
            text = path.read_text(encoding='utf-8')
        except FileNotFoundError:
            return cls(path=path)
        except (OSError, UnicodeDecodeError) as e:
            raise BookError(f'{shown(path)}:1: cannot read the record of '
                            f'Korean twins ({e.__class__.__name__}) — run '
                            '`make twins-accept` to write it again')
        entries = []
        for n, line in enumerate(text.split('\n'), 1):
            if not line.strip() or line.startswith('#') or CONFLICT.match(line):
                continue
            m = LINE.match(line)
            if not m:
                raise BookError(
                    f'{shown(path)}:{n}: not a line of the record of Korean '
                    'twins (file, Korean digest, English digest, separated '
                    'by tabs) — undo the edit, or run `make twins-accept` to '
                    'write the record again from the sources')
            entries.append(Entry(m[1], m[2], m[3], line.split('\t', 3)[3]
                                 if line.count('\t') >= 3 else ''))
        return cls(entries, path, text)

    def is_stale(self, pair):
        known = self.english.get(pair.ko)
        return bool(known) and pair.en not in known

    def stale(self, file, markdown):
        return [p for p in pairs(file, markdown) if self.is_stale(p)]

    def flags(self, file, markdown):
        """For each `::: ko` block of the source, in order: is it stale?"""
        stale = {p.line for p in self.stale(file, markdown)}
        return [b.line in stale for b in langs.blocks(markdown)
                if b.lang == 'ko']

    def refreshed(self, sources, accept=lambda pair: False):
        """The record once `sources` ({file: markdown}) are recorded: the
        entries of other files stay as they are; a stale pair keeps its old
        English unless `accept(pair)`."""
        kept = [e for e in self.entries if e.file not in sources]
        new = []
        for file in sources:
            for pair in pairs(file, sources[file]):
                if self.is_stale(pair) and not accept(pair):
                    new += [pair.entry(en) for en in
                            sorted(self.english[pair.ko])]
                else:
                    new.append(pair.entry())
        # Sorted by file and digests: moving a block inside its file, or
        # reordering blocks, leaves the record as it is.
        seen, entries = set(), []
        for e in sorted(kept + new):
            if e[:3] not in seen:
                seen.add(e[:3])
                entries.append(e)
        return Record(entries, self.path, serialize(entries))

    def write(self):
        write_atomic(self.path, self.text)


def serialize(entries):
    return HEADER + ''.join('\t'.join(e) + '\n' for e in entries)


def changes(old, new):
    """'2 pairs recorded, 1 removed'-style summary of a rewrite."""
    before = collections.Counter(e[:3] for e in old.entries)
    after = collections.Counter(e[:3] for e in new.entries)
    added = sum((after - before).values())
    removed = sum((before - after).values())
    parts = [f'{added} pair{"s" if added != 1 else ""} recorded'] if added \
        else []
    if removed:
        parts.append(f'{removed} removed')
    return ', '.join(parts) or 'reordered'


def shown(path):
    path = pathlib.Path(path)
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def book_sources():
    """{file relative to the book: its text} of every notebook source."""
    return {src.relative_to(ROOT).as_posix(): src.read_text(encoding='utf-8')
            for src in notebook_sources()}


def accept(targets):
    """`make twins-accept [FILE=...]`; returns what to print."""
    record = Record.read(ROOT / NAME)
    sources = book_sources()
    if not targets:
        new = record.refreshed(sources, accept=lambda pair: True)
        stale = sum(len(record.stale(f, t)) for f, t in sources.items())
        new.write()
        return (f'twins: every pair of the book recorded as translated '
                f'({stale} stale accepted); commit {NAME}')
    chosen = set()  # (file, ko line)
    for target in targets:
        path, _, line = target.rpartition(':') if re.search(
            r':\d+$', target) else (target, '', '')
        file = pathlib.Path(os.path.abspath(path))
        try:
            file = file.relative_to(ROOT.resolve()).as_posix()
        except ValueError:
            file = path
        if file not in sources:
            raise BookError(f'{target}: not a source of the book — name '
                            'index.md or a chapters/*.md file, as `make '
                            'lint` reports it')
        stale = record.stale(file, sources[file])
        if line:
            n = int(line)
            hit = [p for p in stale if p.en_block.line <= n <= p.ko_block.end]
            if not hit:
                raise BookError(f'{file}:{n}: no stale Korean twin here — '
                                'give a line `make lint` reports as stale')
            stale = hit
        chosen |= {(p.file, p.line) for p in stale}
    new = record.refreshed(sources, accept=lambda p: (p.file, p.line) in
                           chosen)
    new.write()
    return (f'twins: {len(chosen)} stale Korean twin'
            f'{"s" if len(chosen) != 1 else ""} accepted as translated; '
            f'commit {NAME}')


def main(argv):
    for stream in (sys.stdout, sys.stderr):  # Hangul, whatever the locale
        stream.reconfigure(encoding='utf-8', errors='replace')
    if not argv or argv[0] != 'accept':
        raise BookError('usage: python -m booktools.twins accept '
                        '[FILE[:LINE] ...]')
    print(accept(argv[1:]), flush=True)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
