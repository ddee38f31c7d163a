"""Pick one language out of the bilingual sources (see AUTHORING.md).

`select(markdown, 'en')` keeps the English blocks and the English half of
every `English / 한국어` heading and caption; `'ko'` the Korean ones; `'both'`
keeps everything. In every mode the `::: en` / `::: ko` fence lines go, since
Jupyter and LaTeX would show them as text. Code fences pass through untouched,
and text that belongs to neither language is kept in every mode.
"""
import re

from booktools.layout import write_if_changed

LANGS = ('en', 'ko', 'both')
# Hangul syllables (가-힣), as a character-class body to build patterns with.
SYLLABLES = '\uac00-\ud7a3'
# Any Hangul: conjoining jamo, compatibility jamo and syllables.
HANGUL = re.compile(f'[\u1100-\u11ff\u3130-\u318f{SYLLABLES}]')
SEP = ' / '
# How Sphinx's English numbers of references read in Korean (the pages'
# Korean blocks and the Korean notebooks say them so): `KO_NUMREF.sub(
# ko_numref, 'Section 4.2')` is '4.2절'; Korean words are left as they are.
KO_NUMREF = re.compile(r'^(Section|Fig\.|Table|Listing) ([\d.]+)$')
KO_NUMREF_WORDS = {'Section': '{}장', 'Fig.': '그림 {}', 'Table': '표 {}',
                   'Listing': '코드 {}'}


def ko_numref(m):
    if m[1] == 'Section':  # a notebook is a 장, a section inside it a 절
        return f'{m[2]}{"절" if "." in m[2] else "장"}'
    return KO_NUMREF_WORDS[m[1]].format(m[2])

DIV_OPEN = re.compile(r'^ {0,3}:{3,}\s*(en|ko)\s*$')
DIV_CLOSE = re.compile(r'^ {0,3}:{3,}\s*$')
FENCE = re.compile(r'^ {0,3}(`{3,}|~{3,})')
HEADING = re.compile(r'^( {0,3}#{1,6}\s+)(.*)$')
FIGURE = re.compile(r'^(!\[)(.*?)(\]\(.*)$')


def pick(text, lang):
    """One side of `English / 한국어`; text without the separator is kept."""
    if lang == 'both' or SEP not in text:
        return text
    english, korean = text.split(SEP, 1)
    return english.strip() if lang == 'en' else korean.strip()


CODE, FENCE_LINE = 'code', 'fence'


def walk(markdown):
    """Each line with what it belongs to: CODE (a code fence, its fence lines
    included), FENCE_LINE (a `::: en`/`::: ko`/`:::` line), 'en' or 'ko'
    (inside a language block), or None (outside any)."""
    block, fence = None, None
    for line in markdown.split('\n'):
        if fence:  # inside a code fence: verbatim
            if line.strip().startswith(fence):
                fence = None
            yield line, CODE
            continue
        m = FENCE.match(line)
        if m:
            fence = m.group(1)
            yield line, CODE
            continue
        m = DIV_OPEN.match(line)
        if m and block is None:
            block = m.group(1)
            yield line, FENCE_LINE
        elif block and DIV_CLOSE.match(line):
            block = None
            yield line, FENCE_LINE
        else:
            yield line, block


def select_cells(cells, lang, before=None):
    """A notebook's cells in one language: each Markdown cell through
    select() (after `before(source)`, if given), the ones left empty
    dropped; code cells untouched. What the per-language notebooks and the
    PDF editions are made of."""
    kept = []
    for cell in cells:
        if cell.cell_type == 'markdown':
            source = before(cell.source) if before else cell.source
            cell.source = select(source, lang).strip('\n')
            if not cell.source.strip():
                continue
        kept.append(cell)
    return kept


def select(markdown, lang):
    if lang not in LANGS:
        raise ValueError(f'language must be one of {LANGS}, not {lang!r}')
    out = []
    for line, part in walk(markdown):
        if part == CODE:
            out.append(line)
            continue
        if part == FENCE_LINE or (part and lang not in ('both', part)):
            continue
        h, f = HEADING.match(line), FIGURE.match(line)
        if h:
            line = h.group(1) + pick(h.group(2), lang)
        elif f:
            line = f.group(1) + pick(f.group(2), lang) + f.group(3)
        out.append(line)
    return re.sub(r'\n{3,}', '\n\n', '\n'.join(out))


# A label, or the figure's title or description (what a screen reader says).
SVG_TEXT = re.compile(r'<(text|title|desc)\b([^>]*)>(.*?)</\1>\s*', re.S)
SVG_LANG = re.compile(r'\blang="(en|ko)"')


def select_svg(svg, lang):
    """A figure's labels in one language: `<text lang="en|ko">` of the other
    language go, `English / 한국어` labels (and the `<title>`, `<desc>`)
    keep one half, the rest stays."""
    def keep(m):
        tag = SVG_LANG.search(m.group(2))
        if lang != 'both' and tag and tag.group(1) != lang:
            return ''
        return m.group(0).replace(m.group(3), pick(m.group(3), lang))
    return SVG_TEXT.sub(keep, svg)


class Block:
    """One `::: en` or `::: ko` block: its language, the 1-based lines of
    its opening and closing fence (`end` is the last line if it is never
    closed) and the text between them."""
    __slots__ = ('lang', 'line', 'end', 'text')

    def __init__(self, lang, line, end, text):
        self.lang, self.line, self.end, self.text = lang, line, end, text

    def __repr__(self):
        return f'Block({self.lang!r}, {self.line}, {self.end}, {self.text!r})'


def blocks(markdown):
    """The language blocks of a source, in order, as walk() finds them."""
    found, lang, start, lines = [], None, 0, []
    n = 0
    for n, (line, part) in enumerate(walk(markdown), 1):
        if part == FENCE_LINE:
            if lang is None:
                lang, start, lines = DIV_OPEN.match(line).group(1), n, []
            else:
                found.append(Block(lang, start, n, '\n'.join(lines)))
                lang = None
        elif lang:
            lines.append(line)
    if lang:
        found.append(Block(lang, start, n, '\n'.join(lines)))
    return found


BETWEEN_TWINS = re.compile(r'(?:\s|<!--.*?-->)*', re.S)


def pairs(markdown):
    """(English block, its Korean twin) for every `::: en` block followed by
    a `::: ko` block, with only blank lines or comments between them: what
    the linter calls twins."""
    lines = markdown.split('\n')
    found = blocks(markdown)
    return [(en, ko) for en, ko in zip(found, found[1:])
            if en.lang == 'en' and ko.lang == 'ko' and BETWEEN_TWINS.fullmatch(
                '\n'.join(lines[en.end:ko.line - 1]))]


def mirror_tree(src_dir, dst_dir, lang='both'):
    """Make dst_dir hold the same files as src_dir, touching only changes;
    SVG figures keep only `lang`'s labels."""
    wanted = set()
    for src in sorted(src_dir.rglob('*')):
        if src.is_file():
            dst = dst_dir / src.relative_to(src_dir)
            wanted.add(dst)
            data = src.read_bytes()
            if src.suffix == '.svg':
                data = select_svg(data.decode('utf-8'), lang)
            write_if_changed(dst, data)
    if dst_dir.exists():
        for dst in dst_dir.rglob('*'):
            if dst.is_file() and dst not in wanted:
                dst.unlink()
