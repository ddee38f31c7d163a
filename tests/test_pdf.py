"""The PDF books: one per language and a bilingual one, built by
`python -m booktools.pdf` through d2lbook's PDF route (Sphinx LaTeX, xelatex).

The session fixture builds them (quickly, if they are up to date), so that
`make test` covers the PDF too; the Debian packages come from
`python -m booktools.sysdeps pdf`.
"""
import configparser
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
import zlib

import nbformat
import pytest

from conftest import BOOK, EVAL, HANGUL, Layout, ROOT, build, copy_book

sys.path.insert(0, str(ROOT))
from booktools import langs  # noqa: E402

PDF = BOOK.pdf
EDITIONS = {'en': 'en', 'ko': 'ko', 'bilingual': 'both'}
HANGUL_RUN = re.compile(HANGUL.pattern + '+')
CHAPTER = 'chapters/deferred_init.md'


def venv_env(home=None):
    env = {**os.environ,
           'PATH': f'{pathlib.Path(sys.executable).parent}:'
                   f'{os.environ.get("PATH", "/usr/bin:/bin")}'}
    if home:
        env['HOME'] = str(home)
    return env


def build_pdf(book, *editions):
    return subprocess.run([sys.executable, '-m', 'booktools.pdf', *editions],
                          cwd=book, capture_output=True, text=True,
                          env=venv_env())


def tree_state(folder):
    return {p: p.stat().st_mtime_ns for p in sorted(folder.rglob('*'))
            if p.is_file()}


@pytest.fixture(scope='session')
def pdfs():
    tools = ['pdftotext', 'pdffonts', 'pdfimages', 'pdfinfo', 'xelatex',
             'latexmk', 'rsvg-convert']
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.fail(f'{", ".join(missing)} missing: run '
                    '`python -m booktools.sysdeps pdf` (as root)')
    sources = [ROOT / 'index.md', *sorted((ROOT / 'chapters').glob('*.md'))]
    before = {p: p.read_bytes() for p in sources}
    evaluated = tree_state(EVAL)
    result = build_pdf(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    # Built from `make html`'s notebooks: nothing re-run, no source touched.
    assert tree_state(EVAL) == evaluated
    assert {p: p.read_bytes() for p in sources} == before
    paths = {e: PDF / f'deferred-init-{e}.pdf' for e in EDITIONS}
    for path in paths.values():
        assert path.exists(), path
    return paths


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True,
                          check=True).stdout


# The advance of the code font (DejaVu Sans Mono at Sphinx's \small, 0.6 em
# of 8.3 pt). Told this pitch, `pdftotext -layout` maps a code line's x to its
# column exactly; left to guess, it puts a line indented after a short one
# (`try:`) one column too far, although the PDF places it right.
CODE_PITCH = '4.98'


def pdf_text(path, layout=False, pitch=None):
    return run('pdftotext', *(['-layout'] if layout else []),
               *(['-fixed', pitch] if pitch else []), str(path), '-')


def squash(text):
    """Compare text across line breaks, hyphenation and smart quotes."""
    for a, b in (('’', "'"), ('‘', "'"), ('“', '"'), ('”', '"'),
                 ('…', '...'), ('\u00ad', '')):
        text = text.replace(a, b)
    return re.sub(r'[\s\-‐]+', '', text)


RUNNING_TITLE = re.compile(r'\s*(?:Chapter \d+\.|제 ?\d+ ?장)')


def body_text(path):
    """The text of the pages without their footers (page number and running
    title), which would otherwise cut sentences at page breaks."""
    pages = []
    for page in pdf_text(path, layout=True).split('\f'):
        lines = page.rstrip().splitlines()
        last = lines.pop() if lines else ''
        # A long running title pushes the page number onto a line of its own.
        while last.strip().isdigit() and lines and not lines[-1].strip():
            lines.pop()
        if last.strip().isdigit() and lines and RUNNING_TITLE.match(lines[-1]):
            lines.pop()
        pages.append('\n'.join(lines))
    return '\n'.join(pages)


@pytest.fixture(scope='session')
def texts(pdfs):
    return {e: body_text(p) for e, p in pdfs.items()}


# ---------------------------------------------------------------------------
# What the sources say each edition must (not) contain

def toc_chapters():
    index = (ROOT / 'index.md').read_text(encoding='utf-8')
    block = re.search(r'```toc\n(.*?)```', index, re.S).group(1)
    return [ROOT / f'{line.strip()}.md' for line in block.splitlines()
            if line.strip() and not line.strip().startswith(':')]


def prose_lines(md):
    """(line, fenced-div language or None) outside code fences."""
    for line, part in langs.walk(md):
        if part not in (langs.CODE, langs.FENCE_LINE):
            yield line, part


def headings():
    found = []
    for path in toc_chapters():
        for line, div in prose_lines(path.read_text(encoding='utf-8')):
            m = langs.HEADING.match(line)
            if m and not div:
                found.append(m.group(2).replace('`', '').strip())
    assert found
    return found


def sentences(lang):
    """Plain sentences (no markup that LaTeX would change) of `::: lang`
    blocks: probes for whether that language's prose is in a PDF."""
    probes = []
    for path in [ROOT / 'index.md', *toc_chapters()]:
        blocks, current = [], None  # a paragraph, or one item of a list
        for line, div in prose_lines(path.read_text(encoding='utf-8')):
            item = re.match(r'^\s*(?:[*+-]|\d+\.)\s+', line)
            # a table's cells are laid out in columns, which text
            # extraction interleaves: no sentence of them is a probe
            if div != lang or not line.strip() or line.lstrip().startswith('|'):
                current = None
                continue
            if current is None or item:
                current = []
                blocks.append(current)
            current.append(line[item.end():] if item else line)
        for block in blocks:
            text = ' '.join(' '.join(block).split()).replace('`', '')
            for s in re.split(r'(?<=[.?!])\s+', text):
                if (len(s.split()) >= 5 and
                        not re.search(r'[:$*\[\]\\|_<>{}~^]|--', s)):
                    probes.append(s)
    assert len(probes) >= 10, probes
    return probes


def shared_hangul():
    """Hangul that every edition shows: code and its outputs (shared by both
    languages, never duplicated). SVG labels are per language."""
    shared = []
    for path in EVAL.rglob('*.ipynb'):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == 'code':
                shared.append(cell.source)
                for out in cell.get('outputs', []):
                    shared.append(out.get('text', '') +
                                  out.get('data', {}).get('text/plain', ''))
    return '\n'.join(shared)


# ---------------------------------------------------------------------------
# The three PDFs

@pytest.mark.parametrize('edition', EDITIONS)
def test_section_titles_in_the_editions_language(texts, edition):
    text = squash(texts[edition])
    for heading in headings():
        title = langs.pick(heading, EDITIONS[edition])
        assert squash(title) in text, (edition, title)


@pytest.mark.parametrize('edition', EDITIONS)
def test_outputs_of_the_notebooks_are_printed(texts, edition):
    text = squash(texts[edition])
    assert squash('(256, 20)') in text  # the weight shape the forward pass
    #                                     inferred, in deferred_init
    for path in sorted(EVAL.rglob('*.ipynb')):
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get('outputs', []):
                data = out.get('data', {})
                if 'image/png' in data or 'text/html' in data:
                    continue  # shown as the image / not in the PDF
                shown = out.get('text') or data.get('text/plain', '')
                first = next((line for line in shown.splitlines()
                              if line.strip()), '')
                if first and len(first) < 70:
                    assert squash(first) in text, (edition, path.name, first)


def test_korean_pdf_has_no_english_prose(texts):
    english = sentences('en')
    en, ko = squash(texts['en']), squash(texts['ko'])
    found = [s for s in english if squash(s) in en]
    assert len(found) == len(english), set(english) - set(found)  # probes work
    leaked = [s for s in english if squash(s) in ko]
    assert not leaked, leaked


def test_english_pdf_has_no_korean_prose(texts):
    korean = sentences('ko')
    ko, en = squash(texts['ko']), squash(texts['en'])
    assert all(squash(s) in ko for s in korean), \
        [s for s in korean if squash(s) not in ko]
    assert not [s for s in korean if squash(s) in en]


def test_english_pdf_has_no_hangul_but_shared_code_and_figures(texts):
    """Code carries both languages in the sources; any other Hangul in the
    English edition would be Korean prose, captions or figure labels."""
    shared = shared_hangul()
    stray = sorted({w for w in HANGUL_RUN.findall(texts['en'])
                    if w not in shared})
    assert not stray, stray


def test_bilingual_pdf_has_both_languages(texts):
    both = squash(texts['bilingual'])
    for lang in ('en', 'ko'):
        missing = [s for s in sentences(lang) if squash(s) not in both]
        assert not missing, missing


def test_korean_pdf_uses_korean_generated_words(texts):
    ko, en = texts['ko'], texts['en']
    assert '차례' in ko and 'Contents' not in ko  # table of contents
    assert re.search(r'제 ?1 ?장', ko)  # chapter
    assert re.search(r'그림 ?\d', ko)  # figure caption number
    assert 'Contents' in en and re.search(r'Fig\. ?\d', en)


SYLLABLES = re.compile('[\uac00-\ud7a3]+')


def words_broken_across_lines(text, words, source=''):
    """Each line break of `text` between two Hangul syllables where the
    sources have no space: the two runs joined are part of a word there,
    and `source` does not have the words on either side of the break with
    a space between them (`set_np()로 이`, where 로이 is also in 그대로이므로)."""
    broken = []
    source = ' '.join(source.replace('`', '').split())
    lines = [line.strip() for line in text.splitlines()]
    for line, following in zip(lines, lines[1:]):
        end = re.search('[\uac00-\ud7a3]+$', line)
        start = re.match('[\uac00-\ud7a3]+', following)
        if end and start and any(end[0] + start[0] in w for w in words):
            spaced = f'{line.split()[-1]} {following.split()[0]}'
            if not (source and spaced in source):
                broken.append(f'{end[0]} / {start[0]}')
    return broken


@pytest.fixture(scope='session')
def source_words():
    """Every run of Hangul syllables in the sources and the outputs."""
    text = '\n'.join(p.read_text(encoding='utf-8') for p in
                     [ROOT / 'index.md', *(ROOT / 'chapters').glob('*.md')])
    return set(SYLLABLES.findall(text + shared_hangul()))


def test_line_break_check_finds_a_word_split_in_two(source_words):
    word = max(source_words, key=len)
    assert words_broken_across_lines(f'x {word[:2]}\n{word[2:]} y',
                                     source_words) == \
        [f'{word[:2]} / {word[2:]}']
    assert not words_broken_across_lines(f'x {word}\n{word} y', source_words)
    # Broken where the sources have a space: not inside a word.
    split = f'x {word[:2]}\n{word[2:]} y'
    assert not words_broken_across_lines(split, source_words,
                                         f'{word[:2]} {word[2:]}')


@pytest.mark.parametrize('edition', ['ko', 'bilingual'])
def test_korean_lines_break_between_words(pdfs, source_words, edition):
    """Korean breaks lines at spaces (between 어절), never inside a word:
    "일어 / 났다면" is a break inside 일어났다면."""
    source = '\n'.join(p.read_text(encoding='utf-8') for p in
                       [ROOT / 'index.md', *(ROOT / 'chapters').glob('*.md')])
    broken = words_broken_across_lines(pdf_text(pdfs[edition]), source_words,
                                       source)
    assert not broken, f'{edition}: lines broken inside words: {broken}'


def letter_spaced_words(text, words, source):
    """Hangul words of the sources that `text` shows one syllable at a time
    (`파 라 미 터 를`): what pdftotext sees when a justified line stretches
    between the syllables of a word. A spelling the sources use themselves
    (a run of one-syllable words) is no sign of it."""
    text = ' '.join(text.split())
    source = ' '.join(source.split())
    return sorted(w for w in words if len(w) >= 3 and ' '.join(w) in text
                  and ' '.join(w) not in source)


def test_letter_spacing_check_finds_a_spaced_word(source_words):
    word = max(source_words, key=len)
    spaced = ' '.join(word)
    assert word in letter_spaced_words(f'x {spaced} y', source_words, '')
    assert not letter_spaced_words(f'x {word} y', source_words, '')
    assert not letter_spaced_words(f'x {spaced} y', source_words, spaced)


@pytest.mark.parametrize('edition', ['ko', 'bilingual'])
def test_korean_lines_stretch_at_spaces_only(pdfs, source_words, edition):
    """A justified line takes its slack at word spaces: no word of the
    sources comes out of the PDF with spaces between its letters."""
    source = '\n'.join(p.read_text(encoding='utf-8') for p in
                       [ROOT / 'index.md', *(ROOT / 'chapters').glob('*.md')])
    spaced = letter_spaced_words(pdf_text(pdfs[edition]), source_words,
                                 source + shared_hangul())
    assert not spaced, f'{edition}: words stretched letter by letter: {spaced}'


# `3장`, `4.1.2절`; not a chapter's own heading or running title (`제 3 장`).
REFERENCE = re.compile(r'(?<![\d.])(?<!제)(?<!제 )(\d+(?:\.\d+)*)([장절])')


def korean_references():
    """How many `:numref:` to a notebook and to a section inside one the
    Korean blocks of the sources make (a label `sec_` is a section's)."""
    chapters, sections = 0, 0
    labels = {}
    for path in [ROOT / 'index.md', *sorted((ROOT / 'chapters').glob('*.md'))]:
        text = path.read_text(encoding='utf-8')
        for m in re.finditer(r'^(#+) .*\n+:label:`(sec_\w+)`', text, re.M):
            labels[m.group(2)] = len(m.group(1))
    for path in [ROOT / 'index.md', *sorted((ROOT / 'chapters').glob('*.md'))]:
        for block in langs.blocks(path.read_text(encoding='utf-8')):
            if block.lang != 'ko':
                continue
            for label in re.findall(r':numref:`(sec_\w+)`', block.text):
                if labels[label] == 1:
                    chapters += 1
                else:
                    sections += 1
    return chapters, sections


def test_korean_pdf_refers_to_chapters_as_jang(texts):
    """A notebook is a 장 and a section inside it a 절 (AUTHORING.md), as
    on the HTML pages: `3장`, `4.1.2절`, never polyglossia's `제 3 절`."""
    text = texts['ko']
    assert not re.search(r'제\s?\d+(\.\d+)*\s?절', text)
    found = [(number, word) for number, word in REFERENCE.findall(text)]
    wrong = [f'{n}{w}' for n, w in found if ('.' in n) != (w == '절')]
    assert not wrong, wrong
    chapters, sections = korean_references()
    assert chapters and sections  # the sources have both kinds
    assert [w for _, w in found].count('장') == chapters
    assert [w for _, w in found].count('절') == sections


def title_page(path):
    return pdf_text(path).split('\f')[0]


def config_value(key):
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / 'config.ini', encoding='utf-8')
    return cfg['project'][key]


@pytest.mark.parametrize('edition', EDITIONS)
def test_title_page_in_the_editions_language(pdfs, edition):
    lang = EDITIONS[edition]
    page = ' '.join(title_page(pdfs[edition]).split())
    for key in ('title', 'author'):
        assert langs.pick(config_value(key), lang) in page, (key, page)
    release = config_value('release')
    if lang == 'ko':
        assert f'버전 {release}' in page and '릴리스' not in page, page
        assert not re.search('[A-Za-z]{3,}', page.replace(
            langs.pick(config_value('title'), 'ko'), '')), page
        date = re.search(r'(\d{4})년 (\d+)월 (\d+)일', page)
    else:
        assert f'Release {release}' in page, page
        date = re.search(r'(January|February|March|April|May|June|July|'
                         r'August|September|October|November|December) '
                         r'(\d+), (\d{4})', page)
    assert date, page
    assert not [n for n in date.groups() if n.startswith('0')], date[0]


@pytest.mark.parametrize('edition', EDITIONS)
def test_paper_is_a4(pdfs, edition):
    """A4 for every edition (README.md says why); pdfinfo names the size."""
    info = run('pdfinfo', str(pdfs[edition]))
    assert re.search(r'^Page size:.*\(A4\)$', info, re.M), info


def test_front_page_speaks_of_twins_only_for_the_bilingual_edition(texts):
    """"Each English paragraph is followed by its Korean twin" is true of
    the bilingual book only: the Korean one says it of that edition."""
    index = langs.blocks((ROOT / 'index.md').read_text(encoding='utf-8'))
    twins = [b.text for b in index if '문단' in b.text]
    assert twins  # the front page does speak of them
    ko = ' '.join(texts['ko'].split())
    for text in twins:
        for sentence in re.split(r'(?<=다\.)\s+', ' '.join(text.split())):
            if '문단' in sentence and squash(sentence) in squash(ko):
                assert '이중 언어판' in sentence, sentence


@pytest.mark.parametrize('edition', EDITIONS)
def test_every_font_is_embedded(pdfs, edition):
    rows = run('pdffonts', str(pdfs[edition])).splitlines()[2:]
    assert rows
    # name type encoding emb sub uni object-id gen: read from the right,
    # since names and types contain spaces.
    not_embedded = [r for r in rows if r.split()[-5] != 'yes']
    assert not not_embedded, not_embedded
    # Hangul in a Korean font: a Noto CJK face is in every edition.
    assert any('CJK' in r for r in rows), rows


@pytest.mark.parametrize('edition', EDITIONS)
def test_figures_appear(pdfs, texts, edition):
    images = run('pdfimages', '-list', str(pdfs[edition])).splitlines()[2:]
    # The matplotlib PNG output of conv_shapes.
    assert any(row.split()[2] == 'image' for row in images), images
    # The SVG diagrams, converted to vector PDF: their text is in the PDF.
    text = squash(texts[edition])
    lang = {'bilingual': 'both'}.get(edition, edition)
    for svg in (ROOT / 'img').glob('*.svg'):
        labels = re.findall(r'<text[^>]*>([^<]+)<',
                            langs.select_svg(svg.read_text(), lang))
        assert squash(labels[0]) in text, (svg.name, labels[0])
        if lang != 'both':  # the other language's labels are gone
            other = re.findall(r'<text[^>]*>([^<]+)<', langs.select_svg(
                svg.read_text(), 'ko' if lang == 'en' else 'en'))
            gone = [t for t in set(other) - set(labels) if len(t) > 3]
            assert gone and not [t for t in gone if squash(t) in text], gone


def pdf_objects(path):
    """The PDF's bytes with every Flate stream inflated (object streams hold
    the catalog and the outline in a PDF 1.5 file)."""
    data = path.read_bytes()
    parts = [data]
    for m in re.finditer(rb'stream\r?\n', data):
        end = data.find(b'endstream', m.end())
        try:
            parts.append(zlib.decompress(data[m.end():end]))
        except zlib.error:
            pass
    return b'\n'.join(parts)


def pdf_strings(raw, key):
    found = []
    for hexa, lit in re.findall(rb'/' + key + rb'\s*(?:<([0-9A-Fa-f]+)>|'
                                rb'\(((?:[^()\\]|\\.)*)\))', raw):
        b = bytes.fromhex(hexa.decode()) if hexa else lit
        found.append(b[2:].decode('utf-16-be') if b[:2] == b'\xfe\xff'
                     else b.decode('latin-1'))
    return found


@pytest.mark.parametrize('edition', EDITIONS)
def test_metadata_bookmarks_and_contents(pdfs, texts, edition):
    lang = EDITIONS[edition]
    info = run('pdfinfo', str(pdfs[edition]))
    title = re.search(r'^Title:\s*(.*)$', info, re.M).group(1)
    config_title = re.search(r'^title\s*=\s*(.*)$',
                             (ROOT / 'config.ini').read_text(), re.M).group(1)
    assert title == langs.pick(config_title.strip(), lang)
    raw = pdf_objects(pdfs[edition])
    assert pdf_strings(raw, b'Lang') == ['ko' if lang == 'ko' else 'en']
    assert b'/Outlines' in raw
    bookmarks = pdf_strings(raw, b'Title')
    for heading in headings():
        assert langs.pick(heading, lang) in bookmarks, (heading, bookmarks)
    contents = {'ko': '차례'}.get(lang, 'Contents')
    assert contents in texts[edition]


def code_cells():
    cells = []
    for path in sorted(EVAL.rglob('*.ipynb')):
        for cell in nbformat.read(path, as_version=4).cells:
            lines = cell.source.splitlines() if cell.cell_type == 'code' \
                else []
            if (2 <= len(lines) <= 12 and all(len(l) < 75 for l in lines)
                    and any(l.startswith(' ') for l in lines)):
                cells.append(lines)
    assert cells
    return cells


def find_block(page_lines, code):
    """`code` as laid out by pdftotext -layout, or None (e.g. page break)."""
    code = [line for line in code if line.strip()]
    for i, line in enumerate(page_lines):
        if line.strip() != code[0].strip():
            continue
        found = [l for l in page_lines[i:i + 2 * len(code)] if l.strip()]
        found = found[:len(code)]
        if [l.strip() for l in found] == [l.strip() for l in code]:
            return found
    return None


@pytest.mark.parametrize('edition', EDITIONS)
def test_code_copied_from_the_pdf_is_runnable_python(pdfs, edition):
    page_lines = pdf_text(pdfs[edition], layout=True,
                          pitch=CODE_PITCH).splitlines()
    assert not re.search('[\ufb00-\ufb06]', '\n'.join(page_lines))
    checked = 0
    for code in code_cells():
        found = find_block(page_lines, code)
        if found is None:
            continue
        pasted = textwrap.dedent('\n'.join(l.rstrip() for l in found))
        # Same indentation, same (straight) quotes, character for character.
        assert pasted == '\n'.join(l.rstrip() for l in code if l.strip()), \
            pasted
        compile(pasted, 'pasted', 'exec')
        checked += 1
    assert checked >= 3, checked


# ---------------------------------------------------------------------------
# Faults: a glyph no font has, a LaTeX error

@pytest.fixture(scope='module')
def broken_book(tmp_path_factory):
    """A copy of the book with a Phoenician letter in a Korean paragraph and
    a TeX typo in the math of an English one, built up to HTML."""
    book = copy_book(tmp_path_factory.mktemp('pdf') / 'book')
    src = book / CHAPTER
    lines = src.read_text(encoding='utf-8').splitlines(keepends=True)
    ko = next(i for i, l in enumerate(lines) if l.strip() == '::: ko')
    lines.insert(ko + 1, '페니키아 문자 𐤀 하나를 씁니다. ')
    en = next(i for i, l in enumerate(lines) if l.strip() == '::: en')
    lines.insert(en + 1, 'A typo in math: $\\sqrtt{x}$.\n')
    src.write_text(''.join(lines), encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    return book


def test_missing_glyph_fails_the_build_naming_it(broken_book):
    book = broken_book
    result = build_pdf(book, 'ko')
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert 'U+10900' in out and '𐤀' in out, out
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / 'config.ini', encoding='utf-8')
    main_font = config.get('pdf', 'main_font', fallback='Noto Serif CJK KR')
    assert main_font in out, out  # the font that lacks it
    assert f'{CHAPTER}:' in out, out
    assert 'Traceback' not in out, out
    assert not (Layout(book).pdf / 'deferred-init-ko.pdf').exists()


def test_latex_error_shows_its_message_and_place(broken_book):
    result = build_pdf(broken_book, 'en')
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert '! Undefined control sequence.' in out, out
    assert re.search(r'deferred-init-en\.tex:\d+:', out), out
    assert r'\sqrtt' in out and CHAPTER in out, out
    assert 'Error 12' not in out and 'Traceback' not in out, out
