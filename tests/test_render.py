"""What booktools.render changes in Sphinx keeps Sphinx's results: figure
numbers from doctree skeletons are the numbers Sphinx gives from the full
doctrees, and each page's sidebar from the navigation cache is the one
Sphinx resolves, on the book `make html` built; a retitled chapter reaches
every page's navigation."""
import os
import re

import pytest

from booktools import render
from booktools.layout import BOOK
from conftest import ROOT


@pytest.fixture
def app(tmp_path):
    """A Sphinx application on the built book's environment, loaded as a
    build would load it (nothing is built or written but under tmp_path)."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    assert (BOOK.doctrees('html') / 'environment.pickle').exists(), \
        'run `make html` first'
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with patch_docutils(BOOK.rst), docutils_namespace():
            app = Sphinx(str(BOOK.rst), str(BOOK.rst), str(tmp_path / 'out'),
                         str(BOOK.doctrees('html')), 'html', status=None,
                         warning=None)
            yield app
    finally:
        os.chdir(cwd)


@pytest.fixture
def environment(app):
    return app.env


def numbers(env, assign):
    from sphinx.environment.collectors.toctree import TocTreeCollector
    assign(TocTreeCollector(), env)
    return {doc: {kind: dict(ids) for kind, ids in kinds.items()}
            for doc, kinds in env.toc_fignumbers.items()}


def test_figure_numbers_from_skeletons_are_sphinxs(environment, tmp_path,
                                                  monkeypatch):
    from sphinx.environment.collectors.toctree import TocTreeCollector
    render.patch_sphinx()
    lean = TocTreeCollector.assign_figure_numbers
    assert lean.booktools
    original = lean.sphinx
    assert not getattr(original, 'booktools', False)
    full = numbers(environment, original)
    assert any('figure' in kinds for kinds in full.values()), full
    monkeypatch.setattr(render, 'SKELETONS', tmp_path / 'skeletons')
    assert numbers(environment, lean) == full  # skeletons made
    assert list((tmp_path / 'skeletons').glob('*.pickle'))
    assert numbers(environment, lean) == full  # skeletons read back
    assert 'get_doctree' not in vars(environment)  # the method again


def test_a_skeleton_keeps_only_what_is_numbered(environment):
    from docutils import nodes
    doc = 'chapters/deferred_init'
    full = environment.get_doctree(doc)
    lean = render.skeleton(full, environment)
    figures = list(lean.findall(nodes.figure))
    assert figures and figures[0].astext()  # whole, caption included
    assert sum(1 for _ in lean.findall(nodes.Element)) < sum(
        1 for _ in full.findall(nodes.Element)) / 10
    assert not list(lean.findall(nodes.literal_block))
    assert [s['ids'] for s in lean.findall(nodes.section)] == \
        [s['ids'] for s in full.findall(nodes.section)]


# The theme's sidebar call (mxtheme/drawer.html).
SIDEBAR = dict(maxdepth=6, includehidden=True, titles_only=True)


def test_the_sidebar_from_the_cache_is_sphinxs(app, tmp_path, monkeypatch):
    from sphinx.builders.html import StandaloneHTMLBuilder
    render.patch_sphinx()
    cached = StandaloneHTMLBuilder._get_local_toctree
    assert cached.booktools
    monkeypatch.setattr(render, 'NAVIGATION', tmp_path / 'navigation')
    builder = app.builder
    docs = sorted(app.env.found_docs)
    assert len(docs) >= 5, docs
    sphinx_own = {d: cached.sphinx(builder, d, False, **SIDEBAR)
                  for d in docs}
    assert len(set(sphinx_own.values())) == len(docs)  # each marks its page
    for d in docs:
        assert cached(builder, d, False, **SIDEBAR) == sphinx_own[d]  # made
    entries = list((tmp_path / 'navigation').rglob('*'))
    assert len([e for e in entries if e.is_file()]) == len(docs)
    for d in docs:  # read back
        assert cached(builder, d, False, **SIDEBAR) == sphinx_own[d]
    # Another navigation state: a new folder, the old one removed.
    del builder.booktools_navigation
    monkeypatch.setattr(app.env, 'titles', {**app.env.titles, docs[-1]:
                                            app.env.titles[docs[0]]})
    cached(builder, docs[0], False, **SIDEBAR)
    assert len(list((tmp_path / 'navigation').iterdir())) == 1
    assert not any(e.exists() for e in entries)


def test_a_retitled_chapter_reaches_every_pages_navigation(book):
    """Sphinx rewrites the retitled page and the root only; every page's
    sidebar (and a neighbour's previous/next link) shows the new title."""
    from conftest import build
    assert build(book).returncode == 0
    src = book / 'chapters' / 'conv_shapes.md'
    text = src.read_text(encoding='utf-8')
    first = text.splitlines()[0]
    assert first.startswith('# ') and ' / ' in first, first
    english = first[2:].split(' / ')[0]
    src.write_text(text.replace(english, english + ' Retitled', 1),
                   encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = sorted((book / '_build' / 'html').glob('**/*.html'))
    pages = [p for p in pages if '_static' not in p.parts
             and 'notebooks' not in p.parts]
    assert len(pages) >= 6
    for page in pages:
        html = page.read_text(encoding='utf-8')
        nav = re.search(r'<div class="globaltoc">.*?</nav>', html, re.S)
        assert nav, page
        assert english + ' Retitled' in nav.group(0), page
