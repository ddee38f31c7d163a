"""What booktools.render changes in Sphinx keeps Sphinx's results: figure
numbers from doctree skeletons are the numbers Sphinx gives from the full
doctrees, on the book `make html` built."""
import os

import pytest

from booktools import render
from booktools.layout import BOOK
from conftest import ROOT


@pytest.fixture
def environment(tmp_path):
    """The built book's Sphinx environment, loaded as a build would load it
    (nothing is built or written but under tmp_path)."""
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
            yield app.env
    finally:
        os.chdir(cwd)


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
