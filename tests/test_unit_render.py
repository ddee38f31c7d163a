"""In-process unit tests of booktools.render's warning mapping: a Sphinx
warning on `_build/rst/x.rst` told against `x.md` and its line, with a fix.
The book is a made-up one in tmp_path; no Sphinx runs."""
from types import SimpleNamespace

import pytest

from booktools import render

CHAPTER = '\n'.join([
    '# Shapes / 모양',                         # 1
    ':label:`sec_shapes`',                     # 2
    '',                                        # 3
    'See :numref:`sec_missing_bit`.',          # 4
    '',                                        # 5
    '![A net / 망](../img/net.svg)',           # 6
    ':label:`fig_net`',                        # 7
])


@pytest.fixture
def book(tmp_path, monkeypatch):
    (tmp_path / 'chapters').mkdir()
    (tmp_path / 'chapters' / 'shapes.md').write_text(CHAPTER,
                                                     encoding='utf-8')
    rst = tmp_path / '_build' / 'rst'
    monkeypatch.setattr(render, 'ROOT', tmp_path)
    monkeypatch.setattr(render, 'BOOK', SimpleNamespace(rst=rst))
    return rst


def test_a_label_is_found_with_dashes_read_as_underscores(book):
    # Sphinx reports `sec_missing_bit` as `sec-missing-bit`.
    where = render.source_location(
        book / 'chapters' / 'shapes.rst',
        "undefined label: 'sec-missing-bit'")
    assert where == ('chapters/shapes.md', 4)


def test_an_unreadable_image_is_found_by_its_file_name(book):
    where = render.source_location(
        str(book / 'chapters' / 'shapes.rst'),
        'image file not readable: _build/rst/img/net.svg')
    assert where == ('chapters/shapes.md', 6)


def test_an_unnumbered_reference_is_found_by_its_label(book):
    where = render.source_location(
        book / 'chapters' / 'shapes.rst',
        'Failed to create a cross reference. Any number is not assigned: '
        'fig-net')
    assert where == ('chapters/shapes.md', 7)


def test_a_token_not_in_the_source_gives_the_file_only(book):
    assert render.source_location(
        book / 'chapters' / 'shapes.rst',
        "undefined label: 'nowhere'") == ('chapters/shapes.md', None)


def test_a_page_without_markdown_gives_the_md_name_only(book):
    assert render.source_location(
        book / 'chapters' / 'gone.rst',
        "undefined label: 'sec_shapes'") == ('chapters/gone.md', None)


def test_a_file_outside_the_rst_folder_is_left_as_it_is(book, tmp_path):
    other = tmp_path / 'elsewhere' / 'x.rst'
    assert render.source_location(other, "undefined label: 'x'") == (
        str(other), None)


def test_explain_sphinx_maps_each_warning_once_with_its_fix(book):
    rst = book / 'chapters' / 'shapes.rst'
    output = '\n'.join([
        'Running Sphinx v5.3.0',
        f"{rst}:12: WARNING: undefined label: 'sec-missing-bit'",
        f"{rst}:12: WARNING: undefined label: 'sec-missing-bit'",
        f'  {rst}:30: ERROR: image file not readable: img/net.svg',
        f'{rst}: WARNING: document isn\'t included in any toctree',
        f'{rst}:3: CRITICAL: something nobody planned for',
        f'{rst}:40: WARNING: Failed to create a cross reference. Any number '
        'is not assigned: fig-net',
        'build finished with problems.',
    ])
    assert render.explain_sphinx(output) == [
        "chapters/shapes.md:4: undefined label: 'sec-missing-bit' — "
        "define it with :label:`sec-missing-bit` or fix the reference",
        'chapters/shapes.md:6: image file not readable: img/net.svg — '
        'add the file under img/ or fix the path',
        "chapters/shapes.md:1: document isn't included in any toctree — "
        'list it in the toc block of index.md',
        'chapters/shapes.md:1: something nobody planned for — '
        'see the message above',
        'chapters/shapes.md:7: Failed to create a cross reference. Any number '
        'is not assigned: fig-net — label a section that is in the numbered '
        'toc of index.md',
    ]


def test_explain_sphinx_ignores_lines_that_are_not_warnings(book):
    assert render.explain_sphinx('reading sources... [100%] shapes\n'
                                 'WARNING: no file named\n'
                                 'notes.txt:3: WARNING: not reST') == []


def test_explain_sphinx_gives_a_fix_for_stray_rest_markup(book):
    rst = book / 'chapters' / 'shapes.rst'
    problems = render.explain_sphinx(
        f'{rst}:8: ERROR: Unknown target name: "sequential0".')
    assert problems == [
        'chapters/shapes.md:1: Unknown target name: "sequential0". — this '
        'reST markup came from the Markdown: escape it or put it in '
        'backticks']


# --- d2lbook's slide marks, found as d2lbook finds them ----------------------

SLIDE_TEXTS = [
    'Plain prose with **bold**, *emphasis* and `code`.',
    'Two **bold** words, then **more** (in brackets) [not marks].',
    'A [**slide point**] here.',
    'A (**second one**) here.',
    'Cut [~~from the slides~~], keep the rest.',
    'Cut (~~this too~~), keep the rest.',
    'A link [**bold link**](https://example.org) is not a mark.',
    '',
]


@pytest.mark.parametrize('text', SLIDE_TEXTS)
def test_slide_marks_are_found_as_d2lbook_finds_them(text):
    import d2lbook.slides
    render.patch_d2lbook()
    quick = d2lbook.slides._match_slide_marks
    assert quick.booktools
    assert quick(text) == quick.d2lbook(text)


def test_slide_marks_are_looked_for_only_where_a_mark_is(monkeypatch):
    """A text without any of the eight marks never reaches d2lbook's
    position-by-position search; one with a mark does."""
    asked = []
    quick = render._quick_slide_marks(lambda text: asked.append(text) or [])
    assert quick(SLIDE_TEXTS[0]) == [] and quick(SLIDE_TEXTS[1]) == []
    assert asked == []
    quick(SLIDE_TEXTS[2])
    assert asked == [SLIDE_TEXTS[2]]


def test_remade_cells_are_unchecked_only_while_d2lbook_remakes_them():
    """The schema check is off while remove_slide_marks runs and back on
    after it, even when it raises; the cells it makes are those d2lbook
    made, ids aside."""
    import d2lbook.slides
    from nbformat.v4 import nbbase, new_code_cell, new_markdown_cell, \
        new_notebook
    check = nbbase.validate
    nb = new_notebook(cells=[new_markdown_cell('A [**point**] here.'),
                             new_code_cell('x = 1')])
    unchecked = render._unchecked_cells(d2lbook.slides.remove_slide_marks)
    seen = []
    original = d2lbook.slides.remove_slide_marks(nb)

    def strip_ids(notebook):
        return [{k: v for k, v in c.items() if k != 'id'}
                for c in notebook.cells]
    assert strip_ids(unchecked(nb)) == strip_ids(original)
    assert nbbase.validate is check

    def failing(nb):
        seen.append(nbbase.validate is check)
        raise ValueError('d2lbook failed')
    with pytest.raises(ValueError):
        render._unchecked_cells(failing)(nb)
    assert seen == [False] and nbbase.validate is check


def test_a_conversion_checks_the_notebook_once_and_still_fails_if_broken(
        monkeypatch):
    """nbconvert's preprocessors run as before, the schema check once after
    the last of them instead of after each; a preprocessor that breaks the
    notebook still fails the conversion."""
    import nbformat as real
    from nbconvert.exporters import RSTExporter
    from nbconvert.exporters.exporter import Exporter
    from nbconvert.preprocessors import Preprocessor
    from nbformat.v4 import new_code_cell, new_notebook
    render.patch_d2lbook()
    assert Exporter._preprocess.booktools
    nb = new_notebook(cells=[new_code_cell('x = 1'), new_code_cell('y = 2')])
    checks = []
    check = real.validate
    monkeypatch.setattr(real, 'validate',
                        lambda *a, **k: checks.append(1) or check(*a, **k))
    body, _ = RSTExporter().from_notebook_node(nb)
    assert 'x = 1' in body and 'y = 2' in body
    assert len(checks) == 1

    class Breaks(Preprocessor):
        def preprocess(self, nb, resources):
            nb.cells[0]['cell_type'] = 'no such type'
            return nb, resources
    exporter = RSTExporter()
    exporter.register_preprocessor(Breaks(), enabled=True)
    with pytest.raises(real.ValidationError):
        exporter.from_notebook_node(nb)
    assert not hasattr(exporter, '_validate_preprocessor') or \
        exporter._validate_preprocessor.__func__ is \
        Exporter._validate_preprocessor


def test_a_page_is_self_contained_without_references_or_index_entries(
        tmp_path, monkeypatch):
    """Only a page whose doctree resolves nothing of another document, and
    that has no index entry, may be left as it is; the answer is kept under
    the time the document was read, and asked again when it was read again."""
    from docutils import nodes
    from sphinx import addnodes
    monkeypatch.setattr(render, 'SELF_CONTAINED', tmp_path / 'self.json')

    def tree(*children):
        doc = nodes.document(None, None)
        doc += nodes.paragraph('', '', *children)
        return doc
    trees = {'plain': tree(nodes.Text('prose')),
             'refers': tree(addnodes.pending_xref('', reftype='numref')),
             'cites': tree(nodes.citation_reference('', 'x')),
             'indexed': tree(nodes.Text('prose'))}
    asked = []

    class Env:
        all_docs = {name: 1.0 for name in trees}

        def get_domain(self, name):
            assert name == 'index'
            return SimpleNamespace(entries={'indexed': [('single', 'x', 'i',
                                                         '', None)]})

        def get_doctree(self, doc):
            asked.append(doc)
            return trees[doc]
    env = Env()
    check = render._self_contained(env)
    assert [check(d) for d in trees] == [True, False, False, False]
    assert asked == ['plain', 'refers', 'cites']
    assert check('plain') and asked == ['plain', 'refers', 'cites']
    assert not render.SELF_CONTAINED.exists()  # recorded once, by save()
    check.save()
    asked.clear()
    check = render._self_contained(env)  # the next build: from the record
    assert check('plain') and not check('refers') and asked == []
    env.all_docs = {**env.all_docs, 'plain': 2.0}  # read again
    trees['plain'] = tree(addnodes.pending_xref('', reftype='ref'))
    assert not render._self_contained(env)('plain') and asked == ['plain']
