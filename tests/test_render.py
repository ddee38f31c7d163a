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
    sidebar shows the new title."""
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


def unreadable(env, docname):
    raise AssertionError(f'{docname}: the whole doctree was read')


def test_numrefs_from_skeletons_are_sphinxs(app, tmp_path, monkeypatch):
    """Every label of the book, referenced by :numref: from the front page:
    the node resolved from the skeletons is the one Sphinx makes."""
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.domains.std import StandardDomain
    render.patch_sphinx()
    lean = StandardDomain._resolve_numref_xref
    assert lean.booktools
    monkeypatch.setattr(render, 'SKELETONS', tmp_path / 'skeletons')
    std = app.env.get_domain('std')
    labels = sorted(label for label, (doc, _, _) in std.labels.items()
                    if doc and doc in app.env.found_docs)
    resolved = 0
    for label in labels:
        def reference():
            xref = addnodes.pending_xref('', refdomain='std',
                                         reftype='numref', reftarget=label,
                                         refexplicit=False, refdoc='index')
            return xref, nodes.inline(label, label)
        want = lean.sphinx(std, app.env, 'index', app.builder, 'numref',
                           label, *reference())
        lean(std, app.env, 'index', app.builder, 'numref', label,
             *reference())  # the skeletons made
        with monkeypatch.context() as m:  # and only they are read
            m.setattr(type(app.env), 'get_doctree', unreadable)
            got = lean(std, app.env, 'index', app.builder, 'numref', label,
                       *reference())
        assert (got is None) == (want is None), label
        if want is not None:
            assert got.pformat() == want.pformat(), label
            resolved += isinstance(want, addnodes.number_reference)
    assert resolved >= 10, labels  # sections and the figure
    assert 'get_doctree' not in vars(app.env)  # the method again
    assert list((tmp_path / 'skeletons').glob('**/*.pickle'))


def test_the_html_build_makes_its_sphinx_ahead_from_a_finished_conf(
        tmp_path, monkeypatch):
    """The renderer makes Sphinx (the last build's environment loaded)
    while the main process evaluates, remembering the conf.py it read; a
    conf.py that d2lbook wrote but booktools did not finish yet is not
    used ahead."""
    made = render.prepare_html()
    assert made is not None
    try:
        assert made.conf == (BOOK.rst / 'conf.py').read_bytes()
        assert render.CONF_OVERRIDES.encode() in made.conf
        assert set(made.app.env.all_docs) >= {'index',
                                              'chapters/deferred_init'}
        assert made.app.builder.name == 'html'
    finally:
        made.close()
    from booktools.layout import Layout
    (tmp_path / 'config.ini').write_bytes((ROOT / 'config.ini').read_bytes())
    (tmp_path / 'index.md').write_bytes((ROOT / 'index.md').read_bytes())
    scratch = Layout(tmp_path)
    scratch.rst.mkdir(parents=True)
    text = (BOOK.rst / 'conf.py').read_text(encoding='utf-8')
    (scratch.rst / 'conf.py').write_text(
        text[:text.index(render.CONF_OVERRIDES)], encoding='utf-8')
    monkeypatch.setattr(render, 'BOOK', scratch)
    assert render.prepare_html() is None


def test_a_rebuild_uses_the_sphinx_made_ahead_unless_conf_changed(book):
    """timings.json says whether Sphinx was made ahead: after a prose edit
    it was; after config.ini changed conf.py (a new release number) the one
    made ahead read the old conf.py and a new one builds, with the new
    value on the pages."""
    import json
    from conftest import build
    from booktools.layout import Layout
    timings = Layout(book).timings
    assert build(book).returncode == 0
    src = book / 'chapters' / 'init_errors.md'
    text = src.read_text(encoding='utf-8')
    src.write_text(text.replace('::: en\n', '::: en\nEdited. ', 1),
                   encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(timings.read_text())['ahead'] == 1
    config = book / 'config.ini'
    config.write_text(config.read_text(encoding='utf-8').replace(
        'release = 0.1.0', 'release = 0.1.1'), encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(timings.read_text())['ahead'] == 0
    conf = (Layout(book).rst / 'conf.py').read_text(encoding='utf-8')
    assert "release = '0.1.1'" in conf or 'release = "0.1.1"' in conf, conf


def test_every_page_is_rewritten_when_its_navigation_would_change(
        app, tmp_path, monkeypatch):
    """What the last successful build recorded decides: the same title
    state, no page added; no record (a first build, or one cut short after
    Sphinx saved its environment), or a different one, every page. A
    toctree's caption is part of the state, a subsection's title is not."""
    from sphinx import addnodes
    from docutils import nodes
    monkeypatch.setattr(render, 'NAVIGATION_SHOWN', tmp_path / 'shown')
    env = app.env
    everything = sorted(env.found_docs)
    assert render._titles_changed(app, env) == everything  # no record
    render.NAVIGATION_SHOWN.write_text(app.booktools_shown)
    assert render._titles_changed(app, env) == []
    state = render.title_state(env)
    original = env.tocs['index']
    toc = original.deepcopy()
    tree = next(toc.findall(addnodes.toctree))
    tree['caption'] = 'Another caption'
    monkeypatch.setitem(env.tocs, 'index', toc)
    assert render.title_state(env) != state
    assert render._titles_changed(app, env) == everything
    monkeypatch.setitem(env.tocs, 'index', original)
    assert render.title_state(env) == state
    doc = 'chapters/deferred_init'
    toc = env.tocs[doc].deepcopy()
    deep = [r for r in toc.findall(nodes.reference)
            if r.parent.parent.parent is not toc]
    assert deep, toc.pformat()[:400]
    deep[-1][:] = [nodes.Text('Renamed subsection')]
    monkeypatch.setitem(env.tocs, doc, toc)
    assert render.title_state(env) == state
    top = next(toc.findall(nodes.reference))
    top[:] = [nodes.Text('Renamed chapter')]
    assert render.title_state(env) != state
