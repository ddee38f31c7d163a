"""In-process unit tests of the digests and cache entries of
booktools.layout, and of booktools.notebooks.convert on a small notebook."""
from types import SimpleNamespace

from booktools import layout, notebooks
from booktools.nbfast import nbformat


def test_digest_keeps_parts_apart_and_reads_paths(tmp_path):
    d = layout.digest
    assert d('ab', 'c') != d('a', 'bc')
    assert d('x') == d(b'x')  # text is its UTF-8 bytes
    assert d(1) == d('1') and d(None) == d('None')  # other values: repr
    file = tmp_path / 'f.txt'
    file.write_text('content')
    assert d(file) == d(b'content') != d(str(file))
    assert d(tmp_path / 'missing') == d(b'')


def test_a_cache_entry_reads_back_and_a_damaged_one_reads_as_missing(
        tmp_path):
    path = tmp_path / 'sub' / 'entry'
    layout.write_entry(path, 'converted\ntext')
    assert layout.read_entry(path) == 'converted\ntext'
    assert not (tmp_path / 'sub' / 'entry.tmp').exists()
    check, _, body = path.read_text().partition('\n')
    path.write_text(check + '\n' + body + '!')
    assert layout.read_entry(path) is None
    path.write_bytes(b'\xff')
    assert layout.read_entry(path) is None
    assert layout.read_entry(tmp_path / 'none') is None


def test_a_stamp_holds_only_what_was_written(tmp_path):
    stamp = layout.Stamp(tmp_path / 'out' / '.digest')
    assert not stamp.holds('abc')
    stamp.write('abc')
    assert stamp.holds('abc') and not stamp.holds('abd')
    stamp.remove()
    assert not stamp.holds('abc')


def test_a_notebook_in_one_language_has_followable_toc_links():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(
            '# Book / 책\n\n```toc\n:maxdepth: 1\n\nchapters/a\n'
            'chapters/b\n```'),
        nbformat.v4.new_markdown_cell('::: en\nOnly English.\n:::'),
        nbformat.v4.new_code_cell('print(1)')])
    # What converting needs from outside the notebook: a page without
    # references or figures (this one has neither).
    ctx = SimpleNamespace(rel='index.ipynb',
                          page=SimpleNamespace(refs={}, figures=[]))
    ko = notebooks.convert(nb, 'ko', ctx)
    assert [c.source for c in ko.cells] == [
        '# 책\n\n1. [chapters/a](chapters/a.ipynb)\n'
        '1. [chapters/b](chapters/b.ipynb)',
        'print(1)']
    assert ko.metadata['language'] == 'ko'
    assert nb.cells[0].source.startswith('# Book / 책')  # the input stays
    assert notebooks.convert(nb, 'both', ctx).metadata['language'] == 'en'


def test_the_layout_of_a_sphinx_app_is_its_projects(tmp_path):
    import pytest
    from booktools import ROOT
    app = SimpleNamespace(srcdir=str(layout.BOOK.rst))
    assert layout.Layout.of_sphinx(app).root == ROOT
    project = tmp_path / 'edition'
    project.mkdir()
    for name in ('config.ini', 'index.md'):
        (project / name).write_bytes((ROOT / name).read_bytes())
    copy = layout.Layout(project)
    found = layout.Layout.of_sphinx(SimpleNamespace(srcdir=str(copy.rst)))
    assert found.root == project and found.cache == copy.cache
    with pytest.raises(ValueError, match='not the rst folder'):
        layout.Layout.of_sphinx(SimpleNamespace(srcdir=str(copy.eval)))
