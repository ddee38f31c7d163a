"""Stale Korean twins: TWINS.tsv records the English each Korean block
translates; lint, the pages and the PDFs say which Korean blocks must be
updated once their English changed (booktools.twins, AUTHORING.md).

The pure functions are tested in this process; each case of the book is
run on a copy of it (the `book` fixture), with lint and the build run as
`make lint` and `make html` run them.
"""
import os
import re
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from conftest import Layout, ROOT, book_env, build

sys.path.insert(0, str(ROOT))
from booktools import BookError, langs, pdf, site, twins  # noqa: E402

CHAPTER = 'chapters/deferred_init.md'
OTHER = 'chapters/conv_shapes.md'
STALE = 'Korean twin is stale — its English changed; update the Korean'

SOURCE = """\
# Title / 제목

::: en
The first forward pass
infers the shapes.
:::

::: ko
첫 순전파가 모양을 추론합니다.
:::

![Stages / 단계](x.svg)

::: en
Then it runs.
:::

<!-- a comment between twins -->

::: ko
그다음 실행됩니다.
:::
"""


# --- pure functions ---------------------------------------------------------

def test_digest_ignores_whitespace_only():
    assert twins.digest('a  b\n c') == twins.digest(' a b c\n\n')
    assert twins.digest('a b c') != twins.digest('a b d')
    assert re.fullmatch('[0-9a-f]{12}', twins.digest('x'))


def test_blocks_and_pairs_come_from_the_walk():
    found = langs.blocks(SOURCE)
    assert [(b.lang, b.line, b.end) for b in found] == [
        ('en', 3, 6), ('ko', 8, 10), ('en', 14, 16), ('ko', 20, 22)]
    assert found[0].text == 'The first forward pass\ninfers the shapes.'
    assert [(en.line, ko.line) for en, ko in langs.pairs(SOURCE)] == [
        (3, 8), (14, 20)]
    # A figure between two blocks: not twins.
    split = SOURCE.replace('![Stages / 단계](x.svg)\n', '').replace(
        '::: ko\n첫', '![Stages / 단계](x.svg)\n\n::: ko\n첫')
    assert [en.line for en, _ in langs.pairs(split)] == [15]


def record_of(source, file='x.md'):
    return twins.Record().refreshed({file: source})


def test_new_pairs_are_fresh_and_recorded():
    record = record_of(SOURCE)
    assert record.flags('x.md', SOURCE) == [False, False]
    assert len(record.entries) == 2
    assert record.text.startswith('#')
    assert twins.Record().flags('x.md', SOURCE) == [False, False]


def test_english_only_change_is_stale_and_stays_stale():
    record = record_of(SOURCE)
    edited = SOURCE.replace('infers the shapes', 'infers every shape')
    assert record.flags('x.md', edited) == [True, False]
    assert [p.line for p in record.stale('x.md', edited)] == [8]
    again = record.refreshed({'x.md': edited})
    assert again.text == record.text  # the record keeps the old English
    assert again.flags('x.md', edited) == [True, False]


def test_reflow_is_not_a_change():
    record = record_of(SOURCE)
    reflowed = SOURCE.replace('pass\ninfers', 'pass infers').replace(
        '첫 순전파가 ', '첫 순전파가\n')
    assert record.flags('x.md', reflowed) == [False, False]
    assert record.refreshed({'x.md': reflowed}).text == record.text


def test_editing_the_korean_clears_and_records_it():
    record = record_of(SOURCE)
    edited = SOURCE.replace('infers the shapes', 'infers every shape')
    both = edited.replace('모양을', '모든 모양을')
    assert record.flags('x.md', both) == [False, False]
    assert record.refreshed({'x.md': both}).flags(
        'x.md', both.replace('every shape', 'all shapes')) == [True, False]


def test_only_the_korean_changed_is_fresh():
    record = record_of(SOURCE)
    edited = SOURCE.replace('모양을', '모든 모양을')
    assert record.flags('x.md', edited) == [False, False]
    assert record.refreshed({'x.md': edited}).text != record.text


def test_accept_records_the_new_english():
    record = record_of(SOURCE)
    edited = SOURCE.replace('infers the shapes', 'infers every shape')
    accepted = record.refreshed({'x.md': edited}, accept=lambda p: True)
    assert accepted.flags('x.md', edited) == [False, False]


def test_move_keeps_the_record_and_removal_leaves_none():
    record = record_of(SOURCE)
    first, second = SOURCE.split('![Stages / 단계](x.svg)\n')
    moved = second + '\n' + first
    assert record.refreshed({'x.md': moved}).text == record.text
    edited = moved.replace('infers the shapes', 'infers every shape')
    assert record.flags('x.md', edited) == [False, True]
    # to another file: found there, recorded under it
    elsewhere = record.refreshed({'x.md': second, 'y.md': first})
    assert elsewhere.flags('y.md', first.replace('the shapes', 'a shape')) \
        == [True]
    assert {e.file for e in elsewhere.entries} == {'x.md', 'y.md'}
    # removed: nothing of it is left
    gone = record.refreshed({'x.md': second})
    ko = twins.digest('첫 순전파가 모양을 추론합니다.')
    assert ko in record.text and ko not in gone.text
    assert len(gone.entries) == 1


def test_other_files_entries_are_kept():
    record = twins.Record().refreshed({'x.md': SOURCE, 'y.md': SOURCE.replace(
        'Then', 'And then').replace('그다음', '그리고')})
    assert {e.file for e in record.refreshed({'x.md': SOURCE}).entries} == \
        {'x.md', 'y.md'}


def test_record_file_round_trip_and_damage(tmp_path):
    path = tmp_path / twins.NAME
    record = record_of(SOURCE)
    record.path = path
    record.write()
    again = twins.Record.read(path)
    assert again.entries == record.entries and again.text == record.text
    lines = record.text.splitlines(keepends=True)
    # a git conflict: both sides' lines count
    path.write_text(''.join(lines[:-1] + ['<<<<<<< ours\n', lines[-1],
                                          '=======\n', '>>>>>>> theirs\n']),
                    encoding='utf-8')
    assert twins.Record.read(path).entries == record.entries
    path.write_text(record.text + 'x.md\tnot-a-digest\n', encoding='utf-8')
    with pytest.raises(BookError, match=rf'{twins.NAME}:{len(lines) + 1}: '
                       r'not a line .* — .*make twins-accept'):
        twins.Record.read(path)
    assert twins.Record.read(tmp_path / 'missing.tsv').entries == []


def soup_of(divs):
    return BeautifulSoup('<html><body><h1>T</h1>' + ''.join(
        f'<div class="{lang} docutils container" lang="{lang}"><p>{lang}</p>'
        '</div>' for lang in divs) + '</body></html>', 'html.parser')


def test_page_marks_are_redone_when_the_state_changes():
    soup = soup_of(['en', 'ko', 'en', 'ko'])
    site.mark_twins(soup, ('x.md', (False, True), None))
    stale = soup.select('div.twin-stale')
    assert len(stale) == 1 and stale[0] is soup.select('div.ko')[1]
    note = stale[0].select_one('.twin-note')
    assert note['id'] == 'twin-stale-1'
    assert {s['lang'] for s in note.select('span')} == {'en', 'ko'}
    status = soup.select_one('.twin-status')
    assert (status['data-stale'], status['data-blocks']) == ('1', '2')
    site.mark_twins(soup, ('x.md', (False, False), None))
    assert not soup.select('.twin-stale, .twin-note')
    assert soup.select_one('.twin-status')['data-stale'] == '0'
    assert len(soup.select('.twin-status')) == 1
    with pytest.raises(BookError, match=r'x\.md: has 3 .*shows 2'):
        site.mark_twins(soup, ('x.md', (False, False, True), None))


def test_pdf_mark_opens_stale_korean_blocks_only():
    marked = pdf.mark_stale(SOURCE, iter([False, True]))
    assert marked.count(pdf.STALE_MARK) == 1
    assert '::: ko\n' + pdf.STALE_MARK + '\n\n그다음' in marked
    assert pdf.STALE_MARK in langs.select(marked, 'ko')
    assert pdf.STALE_MARK in langs.select(marked, 'both')


def test_english_pdf_notebook_has_no_mark(tmp_path):
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        SOURCE)])
    path = tmp_path / 'x.ipynb'
    nbformat.write(nb, path)
    assert pdf.STALE_MARK.split('\n')[1] not in pdf.select_notebook(
        path, 'en', [True, True])
    korean = pdf.select_notebook(path, 'ko', [True, False])
    assert korean.count('booktoolstwinstale') == 1


# --- on a copy of the book ----------------------------------------------------

def run(book, module, *args):
    return subprocess.run([sys.executable, '-m', module, *args], cwd=book,
                          capture_output=True, text=True, env=book_env(book))


def lint(book):
    return run(book, 'booktools.lint')


def pair(book, file=CHAPTER, n=0):
    """The n-th (English, Korean) pair of a source of the copy."""
    return langs.pairs((book / file).read_text(encoding='utf-8'))[n]


def replace_block(book, block, text, file=CHAPTER):
    path = book / file
    lines = path.read_text(encoding='utf-8').split('\n')
    lines[block.line:block.end - 1] = text.split('\n')
    path.write_text('\n'.join(lines), encoding='utf-8')


def edit_english(book, file=CHAPTER, n=0):
    """A word changes in the English of the n-th pair; returns the line of
    its `::: ko`, where lint reports it."""
    en, ko = pair(book, file, n)
    first, rest = en.text.split(' ', 1)  # after a list's `-`, if any
    replace_block(book, en, f'{first} indeed {rest}', file)
    return pair(book, file, n)[1].line


def page(book, file=CHAPTER):
    html = Layout(book).html / file.replace('.md', '.html')
    return BeautifulSoup(html.read_text(encoding='utf-8'), 'html.parser')


def status(soup, book=False):
    p = soup.select_one('.twin-book' if book else '.twin-status:not(.twin-book)')
    return int(p['data-stale']), int(p['data-blocks'])


def built(book):
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_books_record_is_complete_and_fresh():
    """Today's sources start fresh: every pair recorded, none stale."""
    record = twins.Record.read(ROOT / twins.NAME)
    sources = twins.book_sources()
    assert record.refreshed(sources).text == record.text
    assert not any(record.stale(f, t) for f, t in sources.items())
    assert sum(len(langs.pairs(t)) for t in sources.values()) > 50


def test_english_only_edit_is_reported_and_marked(book):
    line = edit_english(book)
    before = (book / twins.NAME).read_bytes()
    result = lint(book)
    assert result.returncode == 1
    assert f'{CHAPTER}:{line}: {STALE}' in result.stdout.splitlines(), \
        result.stdout
    assert len(re.findall(STALE, result.stdout)) == 1, result.stdout
    assert f'make twins-accept FILE={CHAPTER}:{line}' in result.stderr
    assert (book / twins.NAME).read_bytes() == before  # stays stale
    built(book)  # still builds
    soup = page(book)
    stale = soup.select('div.twin-stale')
    assert len(stale) == 1
    assert 'ko' in stale[0]['class'] and stale[0]['lang'] == 'ko'
    korean = soup.select('div.container.ko')
    n = [b.line for b in langs.blocks((book / CHAPTER).read_text(
        encoding='utf-8')) if b.lang == 'ko'].index(line)
    assert korean[n] is stale[0]  # that very block
    note = stale[0].select_one('.twin-note')
    assert 'English' in note.select_one('[lang=en]').get_text()
    assert '영어 원문' in note.select_one('[lang=ko]').get_text()


def test_reflow_is_not_reported(book):
    en, ko = pair(book)
    words = en.text.split()
    replace_block(book, en, '\n'.join(' '.join(words[i:i + 3])
                                      for i in range(0, len(words), 3)))
    assert pair(book)[0].text != en.text
    before = (book / twins.NAME).read_bytes()
    result = lint(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (book / twins.NAME).read_bytes() == before


def test_editing_the_twin_clears_the_mark(book):
    edit_english(book)
    built(book)
    assert len(page(book).select('div.twin-stale')) == 1
    _, ko = pair(book)
    replace_block(book, ko, ko.text + ' 덧붙인 문장입니다.')
    result = lint(book)
    assert STALE not in result.stdout
    # The edit re-records the twin: lint says so once, then passes.
    assert result.returncode == 1
    assert f'{twins.NAME}:1: the record of Korean twins was out of date ' \
        '(1 pair recorded, 1 removed)' in result.stdout, result.stdout
    assert lint(book).returncode == 0
    built(book)
    soup = page(book)
    assert not soup.select('div.twin-stale, .twin-note')
    assert status(soup)[0] == 0


def test_accept_command_clears_the_mark(book):
    line = edit_english(book)
    other = edit_english(book, OTHER)
    built(book)
    assert len(page(book).select('div.twin-stale')) == 1
    os.symlink(ROOT / '.venv', book / '.venv')  # `make` finds it installed
    result = subprocess.run(['make', '--no-print-directory', 'twins-accept',
                             f'FILE={CHAPTER}:{line}'], cwd=book,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '1 stale Korean twin accepted' in result.stdout
    result = lint(book)
    assert result.stdout.splitlines() == [f'{OTHER}:{other}: {STALE}']
    assert run(book, 'booktools.twins', 'accept', f'{CHAPTER}:1'
               ).returncode == 1  # no stale twin there: said, not ignored
    built(book)  # only the record changed: the page is marked again
    assert not page(book).select('div.twin-stale')
    assert len(page(book, OTHER).select('div.twin-stale')) == 1
    assert run(book, 'booktools.twins', 'accept', OTHER).returncode == 0
    assert lint(book).returncode == 0


def move_pair(book, n, to):
    """Move the n-th pair of CHAPTER to the end of `to`; returns its new
    index among the pairs of `to`."""
    en, ko = pair(book, n=n)
    lines = (book / CHAPTER).read_text(encoding='utf-8').split('\n')
    moved = lines[en.line - 1:ko.end]
    del lines[en.line - 1:ko.end]
    (book / CHAPTER).write_text('\n'.join(lines), encoding='utf-8')
    target = book / to
    target.write_text(target.read_text(encoding='utf-8').rstrip('\n') +
                      '\n\n' + '\n'.join(moved) + '\n', encoding='utf-8')
    return len(langs.pairs(target.read_text(encoding='utf-8'))) - 1


def test_moved_block_keeps_its_record(book):
    record = (book / twins.NAME).read_bytes()
    move_pair(book, 2, CHAPTER)  # inside its file: the record is the same
    result = lint(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (book / twins.NAME).read_bytes() == record
    # To another file, its English edited on the way: still known, so stale.
    n = move_pair(book, 1, OTHER)
    line = edit_english(book, OTHER, n)
    result = lint(book)
    assert f'{OTHER}:{line}: {STALE}' in result.stdout.splitlines(), \
        result.stdout
    assert '(1 pair recorded, 1 removed)' in result.stdout  # now under OTHER
    assert lint(book).stdout.splitlines() == [f'{OTHER}:{line}: {STALE}']


def test_deleted_block_leaves_no_orphan(book):
    en, ko = pair(book, n=1)
    digest = twins.digest(ko.text)
    assert digest in (book / twins.NAME).read_text(encoding='utf-8')
    lines = (book / CHAPTER).read_text(encoding='utf-8').split('\n')
    del lines[en.line - 1:ko.end]
    (book / CHAPTER).write_text('\n'.join(lines), encoding='utf-8')
    result = lint(book)
    assert '(1 removed)' in result.stdout, result.stdout
    assert digest not in (book / twins.NAME).read_text(encoding='utf-8')
    assert lint(book).returncode == 0


def test_counts_on_the_pages(book):
    edit_english(book, n=0)
    edit_english(book, n=3)
    edit_english(book, OTHER, n=1)
    built(book)
    sources = [p.relative_to(book).as_posix() for p in
               [book / 'index.md', *(book / 'chapters').glob('*.md')]]
    blocks = {f: sum(b.lang == 'ko' for b in langs.blocks(
        (book / f).read_text(encoding='utf-8'))) for f in sources}
    assert status(page(book)) == (2, blocks[CHAPTER])
    assert status(page(book, OTHER)) == (1, blocks[OTHER])
    assert len(page(book).select('div.twin-stale')) == 2
    front = page(book, 'index.md')
    assert status(front, book=True) == (3, sum(blocks.values()))
    links = [a['href'] for a in front.select('.twin-book a')]
    assert links == [OTHER.replace('.md', '.html#twin-stale-1'),
                     CHAPTER.replace('.md', '.html#twin-stale-1')]
    for f in sources:
        if f not in (CHAPTER, OTHER, 'index.md'):
            assert status(page(book, f)) == (0, blocks[f])
    text = page(book).select_one('.twin-status').get_text()
    assert f'2 of {blocks[CHAPTER]} blocks stale' in text
    assert f'블록 {blocks[CHAPTER]}개 중 2개' in text


def test_note_shows_in_korean_and_both_modes(book, visit):
    edit_english(book)
    built(book)
    v = visit()
    v.open((Layout(book).html / CHAPTER.replace('.md', '.html'))
           .as_uri())
    shown = ('s => { const e = document.querySelector(s); '
             'return !!e && e.getClientRects().length > 0; }')
    for mode, visible in (('both', True), ('ko', True), ('en', False)):
        v.page.click(f'[data-lang-mode={mode}]')
        assert v.page.evaluate(shown, 'div.twin-stale .twin-note') == visible
        assert v.page.evaluate(
            shown, 'div.twin-stale .twin-note [lang=en]') == visible, mode
        assert v.page.evaluate(
            shown, 'div.twin-stale .twin-note [lang=ko]') == visible, mode
    v.assert_clean()


def pdf_words(path):
    text = subprocess.run(['pdftotext', str(path), '-'], capture_output=True,
                          text=True, check=True).stdout
    return re.sub(r'\s+', '', text)


def test_korean_and_bilingual_pdfs_mark_stale_blocks(book):
    edit_english(book)
    built(book)
    result = run(book, 'booktools.pdf', 'ko', 'bilingual')
    assert result.returncode == 0, result.stdout + result.stderr
    folder = Layout(book).pdf
    korean = pdf_words(folder / 'deferred-init-ko.pdf')
    assert korean.count('번역갱신필요') == 1
    both = pdf_words(folder / 'deferred-init-bilingual.pdf')
    assert both.count('Koreantwinstale') == both.count('번역갱신필요') == 1
