"""Lint the bilingual chapter sources against AUTHORING.md.

    python -m booktools.lint [FILES...] [--glossary PATH] [--twins PATH]

Without FILES it checks `index.md` and `chapters/*.md` under the current
directory, with `TERMINOLOGY.md` as the glossary. Each problem is printed as
`path:line: problem — fix`; the exit status is 1 if there is any.
Code cells are shared by both languages and never linted.

With `TWINS.tsv` (booktools.twins) beside them, it also reports each Korean
twin whose English changed since it was written, and records the new pairs
of the files it checks: when that changes the record, it says so and fails,
so that the record is committed with the chapters.
"""
import argparse
import glob
import os
import pathlib
import re
import sys
from dataclasses import dataclass, field

from booktools import BookError, quiz, twins
from booktools.langs import FENCE, HANGUL, SEP, SYLLABLES

DIV = re.compile(r'^ {0,3}:{3,}\s*(.*?)\s*:*\s*$')
HEADING = re.compile(r'^ {0,3}#{1,6}(?:\s+(.*?))?\s*$')
FIGURE = re.compile(r'^!\[(.*)\]\(')
MARK = re.compile(r'^:\w+:')  # d2lbook marks: :label:`x`, :width:`400px`, ...
BULLET = re.compile(r'^ ?[-*+]\s')
NUMBERED = re.compile(r'^ ?\d+[.)]\s')

# Inline parts that are not prose. Code and math become a placeholder word,
# so that "`x`.Then" still reads as a missing space; URLs simply go.
CODE_SPAN = re.compile(r'(`+).+?\1')
MATH = re.compile(r'\$\$.*?\$\$|\$[^$\s][^$]*\$')
LINK_URL = re.compile(r'\]\([^)]*\)')
URL = re.compile(r'<?\w+://[^\s>]+>?')
# A sentence end glued to the next sentence. Only a Hangul syllable, or a
# capital after a lowercase letter or ')', counts: `1.5`, `e.g.`,
# `img/x.svg` and `nd.random` stay legal.
NO_SPACE = re.compile(f'[.?!](?=[{SYLLABLES}])|(?<=[a-z)])[.?!](?=[A-Z])')


def clean(text):
    """The prose of one line, without code, math, URLs or emphasis stars."""
    text = CODE_SPAN.sub('code', text)
    text = LINK_URL.sub(']', text)
    text = URL.sub('', text)
    text = MATH.sub('math', text)
    return text.replace('*', '')


@dataclass
class Block:
    lang: str
    line: int
    lines: list = field(default_factory=list)  # (line number, text)


def load_glossary(path):
    """[(preferred Korean term, [variants to avoid])] from a Markdown table
    with `Korean` and `Avoid` columns."""
    rows, cols = [], None
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.lstrip().startswith('|'):
                cols = None  # a table ended
                continue
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if cols is None:
                names = [c.lower() for c in cells]
                if 'korean' in names and 'avoid' in names:
                    cols = names.index('korean'), names.index('avoid')
                continue
            if not ''.join(cells).strip('-: ') or len(cells) <= max(cols):
                continue  # the |---| row, or a short row
            term = cells[cols[0]].strip('`')
            avoid = [v.strip(' `"\'') for v in re.split(r'[,;]', cells[cols[1]])]
            avoid = [v for v in avoid if v and v.strip('-—–')]
            if term and avoid:
                rows.append((term, avoid))
    return rows


class Linter:
    def __init__(self, glossary, glossary_name='TERMINOLOGY.md'):
        self.glossary = glossary
        self.glossary_name = glossary_name
        # Preferred terms are masked before looking for variants, so that
        # avoiding `전파` does not flag the preferred `순전파`.
        self.preferred = [t.strip() for term, _ in glossary
                          for t in term.split(',') if t.strip()]
        self.problems = []

    def report(self, line, message):
        self.problems.append((line, message))

    def lint(self, text):
        self.problems = []
        seq = self.parse(text.split('\n'))
        self.check_pairs(seq)
        return sorted(self.problems, key=lambda p: p[0])

    def parse(self, lines):
        """Check the layout line by line. Returns the top-level elements in
        order — a Block for each div, a string for anything else — so that
        twins can be matched."""
        seq = []
        block = None          # the open div
        fence = None          # (marker, line) of the open code fence
        comment = False       # inside a multi-line HTML comment
        stray = False         # inside a run of text outside any div
        for n, line in enumerate(lines, 1):
            line = line.rstrip('\r')
            if fence:
                m = FENCE.match(line)
                if (m and m[1][0] == fence[0][0] and len(m[1]) >= len(fence[0])
                        and not line[m.end():].strip()):
                    fence = None
                continue
            if comment:
                comment = '-->' not in line
                continue
            m = FENCE.match(line)
            if m:  # code cells, toc blocks: shared, never linted
                fence = (m[1], n)
                if block:
                    block.lines.append((n, ''))  # ends a paragraph
                else:
                    seq.append('code')
                stray = False
                continue
            if line.lstrip().startswith('<!--'):
                comment = '-->' not in line
                continue
            m = DIV.match(line)
            if m:
                block = self.div(n, m[1], block, seq)
                stray = False
                continue
            if block and HEADING.match(line):
                # Most likely the div above was never closed; close it here
                # so that one missing ':::' gives one problem.
                self.report(n, f"heading inside the '::: {block.lang}' block "
                            f"opened at line {block.line} — close that block "
                            "with ':::' before the heading")
                block = None
            if block:
                block.lines.append((n, line))
                continue
            if not line.strip():
                stray = False
                continue
            if HEADING.match(line):
                title = HEADING.match(line)[1] or ''
                title = re.sub(r'\s*(\{[^}]*\}|#+)$', '', title)
                self.check_title(n, 'heading', title)
                seq.append('heading')
            elif FIGURE.match(line):
                self.check_title(n, 'figure caption', FIGURE.match(line)[1])
                seq.append('figure')
            elif MARK.match(line):
                seq.append('mark')
            else:
                if not stray:  # one problem per run of lines
                    self.report(n, "text outside a language block — put it "
                                "in a '::: en' block followed by its '::: ko' "
                                "twin")
                stray = True
                continue
            stray = False
        if fence:
            self.report(fence[1], f"code fence {fence[0]} is never closed — "
                        f"add a closing {fence[0]} line after the code")
        if block:
            self.report(block.line, f"'::: {block.lang}' block is never "
                        "closed — add a ':::' line after its text")
        return seq

    def div(self, n, attr, block, seq):
        """Handle a ':::' line; returns the div open after it."""
        if not attr:  # a closing fence
            if not block:
                self.report(n, "':::' closes no block — remove it, or open "
                            "the block with '::: en' or '::: ko'")
            return None
        if block:
            # Divs do not nest; close the outer one so the rest still lints.
            self.report(n, f"'::: {attr}' opens inside the '::: {block.lang}'"
                        f" block opened at line {block.line} — close that "
                        "block with ':::' first (blocks cannot nest)")
        new = Block(attr, n)
        if attr in ('en', 'ko'):
            seq.append(new)
        else:
            self.report(n, f"'::: {attr}' is not a language block — write "
                        "'::: en' or '::: ko'")
        return new

    def check_title(self, n, what, title):
        """A heading or caption: `English / 한국어`."""
        parts = clean(title).split(SEP)
        if len(parts) == 1:
            self.report(n, f"{what} lacks one of the two languages — write "
                        "it as 'English / 한국어'")
            return
        if len(parts) > 2:
            self.report(n, f"{what} has {len(parts) - 1} ' / ' separators — "
                        "use exactly one, as in 'English / 한국어'")
            return
        english, korean = parts
        if HANGUL.search(english):
            self.report(n, f"{what} has Hangul before ' / ' — put the "
                        "English first, then ' / ', then the Korean")
        elif not english.strip():
            self.report(n, f"{what} has no English before ' / ' — write it "
                        "as 'English / 한국어'")
        if not HANGUL.search(korean):
            self.report(n, f"{what} has no Korean after ' / ' — write it as "
                        "'English / 한국어'")
        self.check_terms(n, korean)

    def check_terms(self, n, korean):
        for term, variants in self.glossary:
            for variant in variants:
                text = korean
                for t in self.preferred:
                    if variant in t:
                        text = text.replace(t, ' ')
                if variant in text:
                    self.report(n, f"Korean text uses '{variant}', which "
                                f"{self.glossary_name} says to avoid — use "
                                f"'{term}' instead")

    def prose(self, block):
        """(line, cleaned text) of a block, without display math."""
        in_math = False
        for n, line in block.lines:
            if line.strip() == '$$':
                in_math = not in_math
            elif not in_math:
                yield n, clean(line)

    def check_block(self, block):
        lines = list(self.prose(block))
        name = {'en': 'English', 'ko': 'Korean'}[block.lang]
        if not any(text.strip() for _, text in lines):
            self.report(block.line, f"{name} block is empty — write its "
                        "text, or remove the block")
            return
        if block.lang == 'ko' and not any(HANGUL.search(t) for _, t in lines):
            self.report(block.line, "Korean block has no Hangul — write the "
                        "Korean translation of the English block here")
        for n, text in lines:
            if block.lang == 'en' and HANGUL.search(text):
                self.report(n, "Hangul in an English block — move the Korean "
                            "text to the '::: ko' twin (or put code in "
                            "backticks)")
            if block.lang == 'ko':
                self.check_terms(n, text)
            for m in NO_SPACE.finditer(text):
                start = text.rfind(' ', 0, m.start()) + 1
                end = text.find(' ', m.end())
                word = text[start:end if end >= 0 else None][:40]
                self.report(n, f"no space after '{m[0]}' in '{word}' — add "
                            "a space after the sentence end")

    def check_pairs(self, seq):
        """Each English block is followed by its Korean twin, of the same
        shape; each Korean block follows an English one."""
        for i, item in enumerate(seq):
            if not isinstance(item, Block):
                continue
            self.check_block(item)
            before = seq[i - 1] if i else None
            after = seq[i + 1] if i + 1 < len(seq) else None
            if item.lang == 'en':
                if isinstance(after, Block) and after.lang == 'ko':
                    self.compare(item, after)
                else:
                    self.report(item.line, "English block has no Korean twin "
                                "— add a '::: ko' block right after it")
            elif not (isinstance(before, Block) and before.lang == 'en'):
                self.report(item.line, "Korean block has no English block "
                            "right before it — add a '::: en' block right "
                            "before it")

    def compare(self, en, ko):
        a, b = shape(en.lines), shape(ko.lines)
        if a and b and a != b:
            self.report(ko.line, f"Korean twin does not match its English "
                        f"block: English has {describe(a)}, Korean has "
                        f"{describe(b)} — give both the same paragraphs and "
                        "lists, with the same number of items")


def shape(lines):
    """The paragraphs and lists of a block, e.g. [['paragraph', 2],
    ['bulleted', 3]]. Only top-level items count; indented lines continue
    the item or paragraph above."""
    parts, after_blank = [], True
    for _, line in lines:
        if not line.strip():
            after_blank = True
            continue
        kind = ('bulleted' if BULLET.match(line) else
                'numbered' if NUMBERED.match(line) else
                'paragraph' if after_blank and not line[0].isspace() else None)
        after_blank = False
        if kind and parts and parts[-1][0] == kind:
            parts[-1][1] += 1
        elif kind:
            parts.append([kind, 1])
    return parts


def describe(parts):
    def one(kind, count):
        if kind == 'paragraph':
            return 'a paragraph' if count == 1 else f'{count} paragraphs'
        return f"a {kind} list of {count} item{'s' if count > 1 else ''}"
    return ', then '.join(one(k, c) for k, c in parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m booktools.lint',
        description='Check the bilingual sources against AUTHORING.md.')
    parser.add_argument('files', nargs='*', metavar='FILE',
                        help='default: index.md and chapters/*.md')
    parser.add_argument('--glossary', metavar='PATH',
                        help='English → Korean glossary (default: '
                             'TERMINOLOGY.md)')
    parser.add_argument('--twins', metavar='PATH',
                        help='record of the Korean twins (default: '
                             f'{twins.NAME}); files outside its folder are '
                             'not checked against it')
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # Hangul, whatever the locale
        stream.reconfigure(encoding='utf-8', errors='replace')

    files = args.files or ['index.md'] + sorted(glob.glob('chapters/*.md'))
    glossary_path = args.glossary or 'TERMINOLOGY.md'
    problems = 0
    glossary = []
    if os.path.exists(glossary_path):
        glossary = load_glossary(glossary_path)
    elif args.glossary:
        print(f'{glossary_path}:1: glossary not found — check the '
              '--glossary path')
        problems += 1
    else:
        print(f'lint: no {glossary_path}; terminology not checked',
              file=sys.stderr)

    record, stale, first = None, 0, None
    twins_path = args.twins or twins.NAME
    if os.path.exists(twins_path):
        try:
            record = twins.Record.read(twins_path)
        except BookError as e:
            print(e)
            problems += 1
    elif args.twins:
        print(f'{twins_path}:1: record of Korean twins not found — check the '
              '--twins path')
        problems += 1
    else:
        print(f'lint: no {twins_path}; Korean twins not checked for changed '
              'English (`make twins-accept` starts one)', file=sys.stderr)
    home = os.path.dirname(os.path.abspath(twins_path))
    recorded = {}  # {file relative to the record: text}

    linter = Linter(glossary, os.path.basename(glossary_path))
    for path in files:
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            print(f'{path}:1: cannot read the file ({e.__class__.__name__})'
                  ' — check the path, and save it as UTF-8')
            problems += 1
            continue
        found = linter.lint(text) + quiz.problems(text, path)
        file = os.path.relpath(os.path.abspath(path), home)
        if record is not None and not file.startswith(os.pardir + os.sep):
            file = pathlib.PurePath(file).as_posix()
            recorded[file] = text
            lines = [p.line for p in record.stale(file, text)]
            found += [(n, twins.STALE) for n in lines]
            stale += len(lines)
            first = first or (lines and f'{path}:{lines[0]}')
        for line, message in sorted(found, key=lambda p: p[0]):
            print(f'{path}:{line}: {message}')
            problems += 1
    if record is not None and recorded:
        new = record.refreshed(recorded)
        if new.text != record.text:
            new.write()
            print(f'{twins_path}:1: the record of Korean twins was out of '
                  f'date ({twins.changes(record, new)}) — it is updated now; '
                  f'commit {twins_path} with the chapters')
            problems += 1
    if stale:
        print(f'lint: {stale} Korean twin{"s" if stale > 1 else ""} to '
              'update; if an English change needs no new translation (a '
              f'typo, a reflow), accept it: `make twins-accept FILE={first}`',
              file=sys.stderr)
    if problems:
        print(f'lint: {problems} problem{"s" if problems > 1 else ""}',
              file=sys.stderr)
        return 1
    print(f'lint: {len(files)} files OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
