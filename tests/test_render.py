"""What booktools.render changes in Sphinx keeps Sphinx's results: figure
numbers from doctree skeletons are the numbers Sphinx gives from the full
doctrees, and each page's sidebar from the navigation cache is the one
Sphinx resolves, on the book `make html` built; a retitled chapter reaches
every page's navigation."""
import re

import pytest

from booktools import render
from booktools.layout import BOOK
from conftest import ROOT, sphinx_pages


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
    monkeypatch.setitem(app.env.all_docs, docs[-1],  # as read again
                        app.env.all_docs[docs[-1]] + 1)
    cached(builder, docs[0], False, **SIDEBAR)
    assert len(list((tmp_path / 'navigation').iterdir())) == 1
    assert not any(e.exists() for e in entries)


def test_the_toctrees_of_the_pages_text_from_the_cache_are_sphinxs(
        app, tmp_path, monkeypatch):
    """The front page's toctree (every chapter and its sections), resolved
    by Sphinx, then made and read back from the navigation cache, gives the
    same page text; a toctree whose resolving warned is not kept."""
    from sphinx.environment import BuildEnvironment
    from sphinx.environment.adapters.toctree import TocTree
    render.patch_sphinx()
    cached = BuildEnvironment.get_and_resolve_doctree
    assert cached.booktools and TocTree.resolve.booktools
    monkeypatch.setattr(render, 'NAVIGATION', tmp_path / 'navigation')
    env, builder = app.env, app.builder

    def resolved(how, doc):
        return how(env, doc, builder).pformat()
    docs = sorted(env.found_docs)
    with monkeypatch.context() as m:
        m.setattr(TocTree, 'resolve', TocTree.resolve.sphinx)
        sphinx_own = {d: resolved(cached.sphinx, d) for d in docs}
    assert '<toctree' not in sphinx_own['index']  # resolved
    assert sphinx_own['index'].count('<reference') >= len(docs) - 1
    for d in docs:
        assert resolved(cached, d) == sphinx_own[d], d  # made
    entries = list((tmp_path / 'navigation').rglob('body-*'))
    assert entries  # the front page's
    made = {e: e.stat().st_mtime_ns for e in entries}
    for d in docs:
        assert resolved(cached, d) == sphinx_own[d], d  # read back ...
    # ... from the entries: a resolve again would have written them anew.
    assert {e: e.stat().st_mtime_ns for e in
            (tmp_path / 'navigation').rglob('body-*')} == made
    # A toctree naming a missing document warns, and is resolved each time,
    # also while Sphinx holds the warnings back until its pages are written.
    from sphinx import addnodes
    from sphinx.util.logging import pending_warnings
    doctree = env.get_doctree('index')
    tree = next(doctree.findall(addnodes.toctree))
    tree['entries'] = tree['entries'] + [(None, 'chapters/missing')]
    tree['includefiles'] = tree['includefiles'] + ['chapters/missing']
    warned = app._warncount
    with pending_warnings():
        cached(env, 'index', builder, doctree.deepcopy())
    assert app._warncount > warned
    assert sorted((tmp_path / 'navigation').rglob('body-*')) == \
        sorted(entries)


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


def test_sphinx_is_not_made_ahead_when_the_rst_folder_goes_meanwhile(
        tmp_path, monkeypatch):
    """New converters: the main process removes the reST folder and makes
    it afresh while the renderer reads conf.py twice around making Sphinx.
    Gone at the second read, it is not made ahead (it crashed the build)."""
    import shutil
    from booktools.layout import Layout
    scratch = Layout(tmp_path)
    shutil.copytree(BOOK.rst, scratch.rst, ignore=shutil.ignore_patterns(
        '*.ipynb', '_build'))
    (scratch.doctrees('html')).mkdir(parents=True)
    (scratch.doctrees('html') / 'environment.pickle').write_bytes(b'')
    monkeypatch.setattr(render, 'BOOK', scratch)
    closed = []

    class Made:
        def __init__(self, builder, outdir, strict):
            shutil.rmtree(scratch.rst)  # what fresh_folder does meanwhile

        def close(self):
            closed.append(True)
    monkeypatch.setattr(render, 'OpenSphinx', Made)
    assert render.prepare_html() is None
    assert closed == [True]
    assert render.prepare_html() is None  # and gone at the first read


def test_conf_is_rewritten_after_the_hook_only(monkeypatch):
    """The rst step's d2lbook.build.prepare_sphinx_env (which truncates and
    writes conf.py) runs the hooks first, once each."""
    import d2lbook.build
    render.patch_d2lbook()
    assert d2lbook.build.prepare_sphinx_env.booktools
    events = []
    prepare = render._after_hooks(lambda config: events.append('conf'))
    monkeypatch.setattr(render, '_BEFORE_CONF',
                        [lambda: events.append('hook')])
    prepare(None)
    prepare(None)
    assert events == ['hook', 'conf', 'conf']


def test_sphinx_is_made_ahead_even_when_the_renderer_is_slow(book):
    """The rst step waits for the renderer to have read conf.py before
    rewriting it: a renderer slow to make its Sphinx (here by a second)
    still makes it ahead from the finished conf.py, not from the one being
    rewritten (they raced: in a large book Sphinx was made ahead in some
    rebuilds only)."""
    import json
    from conftest import build
    from booktools.layout import Layout
    code = book / 'booktools' / 'render.py'
    text = code.read_text(encoding='utf-8')
    slow = ("def prepare_html():\n"
            "    import time\n"
            "    time.sleep(1)\n"
            "    return _prepare_html()\n\n\n"
            "def _prepare_html():")
    assert text.count('def prepare_html():') == 1
    code.write_text(text.replace('def prepare_html():', slow),
                    encoding='utf-8')
    assert build(book).returncode == 0  # new converters: all made afresh
    src = book / 'chapters' / 'init_errors.md'
    src.write_text(src.read_text(encoding='utf-8').replace(
        '::: en\n', '::: en\nEdited. ', 1), encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(Layout(book).timings.read_text())['ahead'] == 1


def test_a_renderer_that_fails_before_sphinx_is_made_fails_the_build(book):
    """The rst step waits for the renderer before rewriting conf.py: a
    renderer that crashed before it was ready fails the build with its
    traceback, and does not leave it waiting."""
    from conftest import build
    code = book / 'booktools' / 'render.py'
    text = code.read_text(encoding='utf-8')
    assert text.count('def prepare_html():\n') == 1
    code.write_text(text.replace(
        'def prepare_html():\n',
        'def prepare_html():\n    raise RuntimeError("renderer broke")\n'),
        encoding='utf-8')
    result = build(book)
    assert result.returncode != 0
    assert 'renderer broke' in result.stderr, result.stdout + result.stderr


def test_a_prose_edit_rewrites_its_page_not_the_front_page(book):
    """Sphinx rewrites, after an edit, the page and the root document (whose
    toctree lists it): with the navigation unchanged, the front page is not
    written again, and stays in the search index; after a retitled chapter,
    or a build that failed while writing, it is."""
    import json
    from conftest import build
    from booktools.layout import Layout
    layout = Layout(book)
    front = layout.html / 'index.html'
    page = layout.html / 'chapters' / 'init_errors.html'
    src = book / 'chapters' / 'init_errors.md'

    def edit(old, new):
        text = src.read_text(encoding='utf-8')
        assert old in text, old
        src.write_text(text.replace(old, new, 1), encoding='utf-8')
        before = front.stat().st_mtime_ns
        result = build(book)
        assert result.returncode == 0, result.stdout + result.stderr
        return front.stat().st_mtime_ns != before

    def indexed():
        text = (layout.html / 'searchindex.js').read_text(encoding='utf-8')
        return json.loads(text[len('Search.setIndex('):-1])['docnames']

    assert build(book).returncode == 0
    # (The first edit of an English block marks its Korean twin stale, which
    # the front page's overview of the book shows: finalize rewrites it.)
    edit('::: en\n', '::: en\nEdited. ')
    assert not edit('Edited. ', 'Edited once. ')
    assert 'Edited once.' in page.read_text(encoding='utf-8')
    assert 'index' in indexed() and 'chapters/init_errors' in indexed()
    title = src.read_text(encoding='utf-8').splitlines()[0][2:].split(' / ')[0]
    assert edit(title, title + ' Retitled')
    assert title + ' Retitled' in front.read_text(encoding='utf-8')
    assert not edit('Edited once. ', 'Edited twice. ')
    # A build that fails while writing the pages (a reference to no label
    # is an error there) leaves no record: the next one writes the root.
    text = src.read_text(encoding='utf-8')
    src.write_text(text.replace('Edited twice. ', 'See :numref:`no_such`. '),
                   encoding='utf-8')
    result = build(book)
    assert result.returncode != 0 and 'no_such' in result.stderr, \
        result.stdout + result.stderr
    src.write_text(text, encoding='utf-8')
    assert edit('Edited twice. ', 'Edited thrice. ')
    assert 'index' in indexed()


def test_a_page_that_refers_to_an_edited_one_is_rewritten(book):
    """A page Sphinx rewrites along with an edited one, which refers to it
    in its text (here the front page, to a figure of the first chapter),
    is rewritten: a figure inserted before that one renumbers it, and the
    front page says the new number."""
    from conftest import build
    from booktools.layout import Layout
    front = Layout(book).html / 'index.html'
    index = book / 'index.md'
    text = index.read_text(encoding='utf-8')
    anchor = '```toc'
    assert anchor in text
    index.write_text(text.replace(anchor, (
        '::: en\nThe stages are in :numref:`fig_deferred_init_stages`.\n'
        ':::\n\n::: ko\n단계는 :numref:`fig_deferred_init_stages`에 '
        '있습니다.\n:::\n\n') + anchor, 1), encoding='utf-8')
    assert build(book).returncode == 0
    assert 'Fig. 1.1.1' in front.read_text(encoding='utf-8')
    src = book / 'chapters' / 'deferred_init.md'
    text = src.read_text(encoding='utf-8')
    first = text.index('![The four stages')
    src.write_text(text[:first] + (
        '![An extra figure / 추가 그림](../img/deferred-init-stages.svg)\n'
        ':label:`fig_extra`\n\n') + text[first:], encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    html = front.read_text(encoding='utf-8')
    assert 'Fig. 1.1.2' in html and 'Fig. 1.1.1' not in html


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
    stamp = env.all_docs['index']
    reread(monkeypatch, env, 'index', toc)
    assert render.title_state(env) != state
    assert render._titles_changed(app, env) == everything
    # Removed until this build has written every page: cut short, with the
    # caption changed back, the next build still rewrites them all.
    assert not render.NAVIGATION_SHOWN.exists()
    monkeypatch.setitem(env.tocs, 'index', original)
    monkeypatch.setitem(env.all_docs, 'index', stamp)
    assert render.title_state(env) == state
    assert render._titles_changed(app, env) == everything
    render.NAVIGATION_SHOWN.write_text(app.booktools_shown)
    reread(monkeypatch, env, 'index', toc)
    monkeypatch.setitem(env.tocs, 'index', original)
    monkeypatch.setitem(env.all_docs, 'index', stamp)
    assert render.title_state(env) == state
    doc = 'chapters/deferred_init'
    toc = env.tocs[doc].deepcopy()
    deep = [r for r in toc.findall(nodes.reference)
            if r.parent.parent.parent is not toc]
    assert deep, toc.pformat()[:400]
    deep[-1][:] = [nodes.Text('Renamed subsection')]
    reread(monkeypatch, env, doc, toc)
    assert render.title_state(env) == state
    top = next(toc.findall(nodes.reference))
    top[:] = [nodes.Text('Renamed chapter')]
    reread(monkeypatch, env, doc, toc)
    assert render.title_state(env) != state
    # Renumbered (a chapter inserted before it) without being read again:
    # Sphinx writes the numbers into the toc it read, and records them.
    before = render.title_state(env)
    numbers = {k: (9,) + tuple(v or ())
               for k, v in env.toc_secnumbers[doc].items()}
    monkeypatch.setitem(env.toc_secnumbers, doc, numbers)
    for ref in toc.findall(nodes.reference):
        ref['secnumber'] = list(numbers.get(ref.get('anchorname')) or ())
    renumbered = render.title_state(env)
    assert renumbered != before
    monkeypatch.setattr(render, '_PARTS', {})  # nothing kept: made afresh
    render.DOC_PARTS.unlink()
    assert render.title_state(env) == renumbered


def reread(monkeypatch, env, doc, toc):
    """What Sphinx's reading `doc` again leaves: its new toc, and the time
    it was read (env.all_docs), under which its navigation parts are kept."""
    monkeypatch.setitem(env.tocs, doc, toc)
    monkeypatch.setitem(env.all_docs, doc, env.all_docs[doc] + 1)


@pytest.mark.built_book
def test_pages_finalized_with_their_drawer_apart_are_finalized_whole(
        app, tmp_path, monkeypatch):
    """site.finalize_page finalizes the drawer (the sidebar) on its own and
    keeps it: every page Sphinx writes for the book comes out as the whole
    page finalized at once, the drawer made and then read back."""
    from booktools import site
    out, pages = sphinx_pages(app, tmp_path, monkeypatch)
    states = site.twin_states()
    cache = tmp_path / 'pages'
    cache.mkdir()
    for raw in pages:
        rel = raw.relative_to(out)
        html = raw.read_text(encoding='utf-8')
        assert site.DRAWER.search(html), f'{rel}: no drawer to cut out'
        page, state = BOOK.html / rel, states.get(rel.as_posix())
        whole = site._finalize_whole(html, page, BOOK.html, state)
        before = set(cache.iterdir())
        assert site.finalize_page(html, page, BOOK.html, state, cache) == \
            whole, rel
        made = set(cache.iterdir()) - before
        assert len(made) <= 1, rel
        assert site.finalize_page(html, page, BOOK.html, state, cache) == \
            whole, rel  # with the drawer read back
    # Each chapter's drawer marks the chapter: one entry each, at least.
    assert len(list(cache.iterdir())) >= len(app.env.found_docs)
    # A damaged entry is made again, not used.
    raw, rel = pages[0].read_text(encoding='utf-8'), pages[0].relative_to(out)
    page, state = BOOK.html / rel, states.get(rel.as_posix())
    for entry in cache.iterdir():
        entry.unlink()
    site.finalize_page(raw, page, BOOK.html, state, cache)
    [entry] = cache.iterdir()
    entry.write_text('0\nbroken', encoding='utf-8')
    assert site.finalize_page(raw, page, BOOK.html, state, cache) == \
        site._finalize_whole(raw, page, BOOK.html, state)
    assert 'broken' not in entry.read_text(encoding='utf-8')


def test_the_search_index_stems_are_kept_across_builds(tmp_path,
                                                       monkeypatch):
    """A word stemmed for the search index by one build is not stemmed
    again by the next; a record of another stemmer is not used."""
    import json
    import types
    from docutils.core import publish_doctree
    from sphinx.search import IndexBuilder
    render.patch_sphinx()
    monkeypatch.setattr(render, 'STEMS', tmp_path / 'stems.json')
    first = IndexBuilder(None, 'en', {}, None)
    assert first._stem_cache == {}
    first.feed('page', 'page.rst', 'Title', publish_doctree(
        'Initializers running lazily\n\nshapes inferred'))
    assert first._stem_cache['running'] == 'run'
    render.save_stems(types.SimpleNamespace(indexer=first))
    second = IndexBuilder(None, 'en', {}, None)
    assert second._stem_cache == first._stem_cache
    calls = []
    monkeypatch.setattr(second.lang, 'stem',
                        lambda word: calls.append(word) or word)
    second.feed('page', 'page.rst', 'Title', publish_doctree(
        'Initializers running lazily\n\nshapes inferred'))
    assert calls == []  # every word's stem was known
    # Nothing new: the record is left as it was.
    before = (tmp_path / 'stems.json').stat().st_mtime_ns
    render.save_stems(types.SimpleNamespace(indexer=second))
    assert (tmp_path / 'stems.json').stat().st_mtime_ns == before
    # Made under another stemmer (or Sphinx): not used.
    record = json.loads((tmp_path / 'stems.json').read_text())
    record[''][0] = '0.0'
    (tmp_path / 'stems.json').write_text(json.dumps(record))
    assert IndexBuilder(None, 'en', {}, None)._stem_cache == {}
    # The built book keeps its stems, under its own search language.
    from booktools.site import SearchEnglishHangul
    kept = json.loads((BOOK.cache / 'search-stems.json').read_text(
        encoding='utf-8'))
    assert kept.pop('') == render.stems_key(SearchEnglishHangul({}))
    assert kept['deferred'] == 'defer' and len(kept) > 500


@pytest.mark.built_book
def test_the_fast_selectors_select_what_soupsieve_selects(
        app, tmp_path, monkeypatch):
    """site.select and site.select_one, for each selector they match
    themselves, give soupsieve's tags in soupsieve's order, on every page
    as Sphinx wrote it, as finalized, and on each drawer finalized apart."""
    from bs4 import BeautifulSoup
    from booktools import site
    out, pages = sphinx_pages(app, tmp_path, monkeypatch)
    texts = [p.read_text(encoding='utf-8') for p in pages]
    texts += [p.read_text(encoding='utf-8')
              for p in sorted(BOOK.html.rglob('*.html'))
              if '_static' not in p.parts]
    texts += [f'<body>{site.DRAWER.search(t).group(0)}</body>'
              for t in texts[:len(pages)]]
    # A page whose every Korean block is marked stale.
    rel = 'chapters/deferred_init.html'
    file, flags, book = site.twin_states()[rel]
    texts.append(site._finalize_whole(
        (out / rel).read_text(encoding='utf-8'), BOOK.html / rel, BOOK.html,
        (file, [True] * len(flags), book)))
    found = dict.fromkeys(site.MATCHERS, 0)
    for text in texts:
        soup = BeautifulSoup(text, 'html.parser')
        for css in site.MATCHERS:
            ours, theirs = site.select(soup, css), soup.select(css)
            assert [id(t) for t in ours] == [id(t) for t in theirs], css
            assert site.select_one(soup, css) is soup.select_one(css), css
            found[css] += len(theirs)
    assert all(found.values()), found  # each matched something somewhere
    # A selector of its own goes to soupsieve.
    soup = BeautifulSoup(texts[0], 'html.parser')
    assert site.select(soup, 'nav a') == soup.select('nav a')
