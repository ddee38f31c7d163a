"""Pick one language out of the bilingual sources (see AUTHORING.md).

`select(markdown, 'en')` keeps the English blocks and the English half of
every `English / 한국어` heading and caption; `'ko'` the Korean ones; `'both'`
keeps everything. In every mode the `::: en` / `::: ko` fence lines go, since
Jupyter and LaTeX would show them as text. Code fences pass through untouched,
and text that belongs to neither language is kept in every mode.
"""
import re

LANGS = ('en', 'ko', 'both')
SEP = ' / '
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


SVG_TEXT = re.compile(r'<text\b([^>]*)>(.*?)</text>\s*', re.S)
SVG_LANG = re.compile(r'\blang="(en|ko)"')


def select_svg(svg, lang):
    """A figure's labels in one language: `<text lang="en|ko">` of the other
    language go, `English / 한국어` labels keep one half, the rest stays."""
    def keep(m):
        tag = SVG_LANG.search(m.group(1))
        if lang != 'both' and tag and tag.group(1) != lang:
            return ''
        return m.group(0).replace(m.group(2), pick(m.group(2), lang))
    return SVG_TEXT.sub(keep, svg)
