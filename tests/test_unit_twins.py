"""In-process unit tests of booktools.twins (is a Korean block still the
translation of its English?) and booktools.watch's pure helpers, on
made-up sources and records."""
import pytest

from booktools import BookError, twins, watch
from booktools.twins import Entry

FILE = 'chapters/x.md'
MD = '\n'.join([
    '::: en', 'The new weight.', ':::',     # 1-3
    '::: ko', '가중치.', ':::',              # 4-6
    '',                                     # 7
    '::: en', 'Second.', ':::',             # 8-10
    '::: ko', '둘째.', ':::',                # 11-13
    '::: ko', '짝 없음.', ':::',             # 14-16 no English before it
])
D = twins.digest


def old_record():
    """What the record said before the first English was edited."""
    return twins.Record([
        Entry(FILE, D('가중치.'), D('The old weight.'), '가중치.'),
        Entry(FILE, D('둘째.'), D('Second.'), '둘째.'),
        Entry('chapters/other.md', D('다른'), D('Other'), '다른'),
    ])


def test_digests_ignore_how_a_block_is_wrapped():
    assert twins.normalize('  The  weight\n is\tzero. ') == \
        'The weight is zero.'
    assert D('The weight\nis zero.') == D('The weight is zero.')
    assert D('The weight is zero.') != D('The weight is one.')
    assert len(D('x')) == twins.SIZE and int(D('x'), 16) >= 0


def test_a_pair_is_stale_when_only_other_english_is_recorded():
    record = old_record()
    first, second = twins.pairs(FILE, MD)
    assert (first.line, second.line) == (4, 11)
    assert record.is_stale(first) and not record.is_stale(second)
    assert [p.line for p in record.stale(FILE, MD)] == [4]


def test_a_korean_block_the_record_lacks_is_new_not_stale():
    assert twins.Record().stale(FILE, MD) == []


def test_flags_has_one_flag_per_korean_block_paired_or_not():
    assert old_record().flags(FILE, MD) == [True, False, False]


def test_refreshing_keeps_the_translated_english_of_a_stale_pair():
    old = old_record()
    new = old.refreshed({FILE: MD})
    assert sorted(e[:3] for e in new.entries) == sorted(
        e[:3] for e in old.entries)
    assert twins.changes(old, new) == 'reordered'
    assert new.text.startswith(twins.HEADER)


def test_accepting_records_the_new_english_and_drops_the_old():
    old = old_record()
    new = old.refreshed({FILE: MD}, accept=lambda pair: pair.line == 4)
    assert Entry(FILE, D('가중치.'), D('The new weight.'), '가중치.') in \
        new.entries
    assert not new.is_stale(twins.pairs(FILE, MD)[0])
    assert twins.changes(old, new) == '1 pair recorded, 1 removed'
    # The entries of files that were not refreshed stay.
    assert any(e.file == 'chapters/other.md' for e in new.entries)


def test_changes_counts_additions_and_removals():
    empty = twins.Record()
    full = empty.refreshed({FILE: MD})
    assert twins.changes(empty, full) == '2 pairs recorded'
    assert twins.changes(full, empty) == '2 removed'


def test_a_record_is_read_with_the_lines_of_a_merge_conflict(tmp_path):
    ko, en1, en2 = D('가중치.'), D('Weight.'), D('The weight.')
    path = tmp_path / twins.NAME
    path.write_text(twins.HEADER + '\n'.join([
        f'{FILE}\t{D("둘째.")}\t{D("Second.")}\t둘째.',
        '<<<<<<< HEAD',
        f'{FILE}\t{ko}\t{en1}\t가중치.',
        '=======',
        f'{FILE}\t{ko}\t{en2}',
        '>>>>>>> theirs',
        '']), encoding='utf-8')
    record = twins.Record.read(path)
    assert [e.words for e in record.entries] == ['둘째.', '가중치.', '']
    assert record.english[ko] == {en1, en2}


def test_a_missing_record_is_empty(tmp_path):
    assert twins.Record.read(tmp_path / 'none.tsv').entries == []


def test_a_damaged_line_is_named_with_its_line(tmp_path):
    path = tmp_path / twins.NAME
    path.write_text(f'# header\n\n{FILE}\tnot-a-digest\t{D("x")}\n',
                    encoding='utf-8')
    with pytest.raises(BookError, match=r'TWINS\.tsv:3: not a line of the '
                       'record of Korean twins'):
        twins.Record.read(path)


def test_a_record_that_is_not_utf8_is_an_error_at_line_1(tmp_path):
    path = tmp_path / twins.NAME
    path.write_bytes(b'\xff\xfe')
    with pytest.raises(BookError, match=r'TWINS\.tsv:1: cannot read the '
                       r'record of Korean twins \(UnicodeDecodeError\)'):
        twins.Record.read(path)


# --- booktools.watch ---------------------------------------------------------

@pytest.mark.parametrize('path, source', [
    ('chapters/shapes.md', True),
    ('index.md', True),
    ('img/net.svg', True),
    ('booktools/static/book.js', True),
    ('Makefile', True),
    ('TWINS.tsv', True),
    ('chapters/.shapes.md.swp', False),   # an editor's swap file
    ('chapters/draft/shapes.md', False),  # a subfolder is not a source
    ('booktools/static/sub/x.js', False),
    ('notes.md', False),
    ('_build/html/index.html', False),
])
def test_is_source(path, source):
    assert watch.is_source(path) is source


def test_hidden():
    assert watch.hidden('.#shapes.md') and watch.hidden('.shapes.md.swp')
    assert not watch.hidden('shapes.md')


def test_page_url_opens_the_first_changed_page():
    base = 'http://127.0.0.1:8000/'
    assert watch.page_url(base, {'img/a.svg', 'chapters/b.md',
                                 'chapters/a.md'}) == base + 'chapters/a.html'
    assert watch.page_url(base, {'img/a.svg', 'config.ini'}) == base
