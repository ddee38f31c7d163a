"""Rendering: evaluated notebooks -> reST (d2lbook) -> pages (Sphinx).

What the book changes in d2lbook and Sphinx, for the HTML build and the
PDF editions alike:
- d2lbook's converter, patched once (`patch_d2lbook`): printed outputs stay
  verbatim, pandoc runs only for the Markdown cells that changed, nbconvert's
  templates are compiled once;
- `run_rst(layout)`: d2lbook's rst step, in a fresh folder when the
  converters changed, and never d2lbook's own evaluation;
- `finish_conf`: the conf.py d2lbook writes, with the book's overrides;
- `sphinx`: Sphinx in this process, every warning reported against the
  Markdown source (`explain_sphinx`), and an error unless config.ini says
  `warning_is_error = False`;
- `Renderer`: Sphinx in a second process, forked as the build starts, so
  that its start-up overlaps the evaluation, and that it post-processes the
  pages while the main process exports the notebooks.

booktools.build runs these in order; booktools.pdf uses the same functions
for each edition's scratch project.
"""
import logging
import os
import pathlib
import re
import sys

from booktools import BookError, ROOT
from booktools.layout import BOOK, digest, fresh_folder, read_entry, \
    read_record, stat_key, write_atomic, write_entry
from booktools.lifetime import die_with_parent

def _verbatim_outputs(convert):
    """Printed output goes into a literal block, not a `parsed-literal`:
    in the latter `sequential0_ (` reads as a reST link and `*x*` as emphasis."""
    def wrapped(nb, resources):
        body, resources = convert(nb, resources)
        return body.replace('.. parsed-literal::', '.. code-block:: none'), \
            resources
    return wrapped


def _cached_pandoc(convert):
    """nbconvert starts one pandoc process per Markdown cell, which is most
    of the time a prose edit costs. Conversions are kept under
    _build/cache/pandoc, keyed on the input and pandoc's version, so only
    the cells that changed go through pandoc again."""
    from nbconvert.utils.pandoc import get_pandoc_version
    folder = BOOK.cache / 'pandoc'

    def cached(source, from_format, to_format, extra_args=None):
        path = folder / digest(get_pandoc_version(), from_format, to_format,
                               extra_args, source)
        result = read_entry(path)
        if result is None:
            result = convert(source, from_format, to_format, extra_args)
            write_entry(path, result)
        return result
    return cached


# The marks d2lbook's slides are made of; every one holds `**` or `~~`.
SLIDE_MARKS = ('[**', '**]', '(**', '**)', '[~~', '~~]', '(~~', '~~)')


def _quick_slide_marks(match):
    """d2lbook.slides._match_slide_marks tests every position of a
    Markdown cell against each mark in Python (a few hundredths of a second
    of every prose edit's rst step, for one long chapter); a text holding
    no mark at all has none to find, and any other goes to d2lbook."""
    def match_slide_marks(text):
        if not any(mark in text for mark in SLIDE_MARKS):
            return []
        return match(text)
    match_slide_marks.booktools = True
    match_slide_marks.d2lbook = match  # d2lbook's own, for the tests
    return match_slide_marks


def _unchecked_cells(remove):
    """d2lbook.build.remove_slide_marks remakes each Markdown cell with
    nbformat's new_markdown_cell, which checks the new cell against the
    notebook schema: a jsonschema walk per cell, for a cell made of a
    string taken from a notebook nbformat has just read and checked.
    While it runs, cells are made unchecked."""
    from booktools.nbfast import unchecked_cells

    def remove_slide_marks(nb):
        with unchecked_cells():
            return remove(nb)
    remove_slide_marks.booktools = True
    remove_slide_marks.d2lbook = remove
    return remove_slide_marks


def _validated_once(preprocess):
    """nbconvert's Exporter._preprocess checks the whole notebook against
    the schema after each of its eleven preprocessors (a third of the time
    converting one long chapter took); it is checked once, after the last.
    A preprocessor that broke it still fails the conversion, unnamed."""
    from booktools.nbfast import nbformat

    def _preprocess(self, nb, resources):
        self._validate_preprocessor = lambda nbc, preprocessor: None
        try:
            nbc, resc = preprocess(self, nb, resources)
        finally:
            del self._validate_preprocessor
        nbformat.validate(nbc, relax_add_props=True)
        return nbc, resc
    _preprocess.booktools = True
    _preprocess.nbconvert = preprocess
    return _preprocess


# Called, once each, just before d2lbook's rst step rewrites conf.py (the
# HTML build's: until the renderer has read the old one).
_BEFORE_CONF = []


def _after_hooks(prepare):
    """d2lbook.build.prepare_sphinx_env, which writes conf.py (truncating
    it first), run once the hooks in _BEFORE_CONF have returned."""
    def prepare_sphinx_env(config):
        while _BEFORE_CONF:
            _BEFORE_CONF.pop(0)()
        return prepare(config)
    prepare_sphinx_env.booktools = True
    prepare_sphinx_env.d2lbook = prepare
    return prepare_sphinx_env


def patch_d2lbook():
    """Patch d2lbook and nbconvert for the book, once per process."""
    import d2lbook.build
    import d2lbook.rst
    import d2lbook.slides
    from nbconvert.exporters import templateexporter
    if not getattr(d2lbook.rst.convert_notebook, 'booktools', False):
        d2lbook.slides._match_slide_marks = _quick_slide_marks(
            d2lbook.slides._match_slide_marks)
        d2lbook.build.remove_slide_marks = _unchecked_cells(
            d2lbook.build.remove_slide_marks)
        d2lbook.build.prepare_sphinx_env = _after_hooks(
            d2lbook.build.prepare_sphinx_env)
        from nbconvert.exporters.exporter import Exporter
        Exporter._preprocess = _validated_once(Exporter._preprocess)
        d2lbook.rst.convert_notebook = _verbatim_outputs(
            d2lbook.rst.convert_notebook)
        d2lbook.rst.convert_notebook.booktools = True
        filters = templateexporter.default_filters
        filters['convert_pandoc'] = _cached_pandoc(filters['convert_pandoc'])
        templateexporter.TemplateExporter._create_environment = \
            _cached_templates(
                templateexporter.TemplateExporter._create_environment)


def _cached_templates(create):
    """nbconvert's reST templates, compiled once, not in every build."""
    def created(self):
        from booktools.site import keep_compiled_templates
        return keep_compiled_templates(create(self))
    return created


def rendering_digest():
    """What reST depends on besides the notebooks: this file, the pinned
    converters (pandoc, nbconvert, d2lbook) and Python."""
    return digest(pathlib.Path(__file__), ROOT / 'requirements.txt',
                  ROOT / 'constraints.txt', sys.version)


def run_rst(layout=BOOK, also=(), before_conf=None):
    """d2lbook's rst step in the project `layout` is the layout of; the
    evaluation is up to date, so it only renders. reST made by older
    converters (or, for `also`, older code of the caller) is rebuilt, not
    reused. `before_conf` is called before conf.py is rewritten."""
    from d2lbook.build import Builder
    from d2lbook.config import Config
    patch_d2lbook()
    fresh_folder(layout.rst, digest(rendering_digest(), *also),
                 *([layout.pdf] if layout is not BOOK else []))
    logging.disable(logging.INFO)  # d2lbook narrates every file it copies
    cwd = os.getcwd()
    os.chdir(layout.root)
    try:
        builder = Builder(Config())
        stale = layout is not BOOK and builder._get_updated_md_files()[0]
        if stale:
            raise BookError(f'{layout.root}: d2lbook would re-evaluate '
                            f'{stale[0][0]}; this is a bug in booktools')
        # booktools.execute has evaluated everything: d2lbook's own eval
        # (which knows nothing of #@expect_error) must not run again, even
        # if a source was saved during this build.
        builder.done['eval'] = True
        _BEFORE_CONF[:] = [before_conf] if before_conf else []
        builder.rst()
    finally:
        _BEFORE_CONF.clear()
        os.chdir(cwd)


def render_rst(before_conf=None):
    """The HTML build's rst step; a source saved meanwhile fails it."""
    from booktools import execute
    from booktools.book import notebook_sources
    run_rst(BOOK, before_conf=before_conf)
    for src in notebook_sources():
        if src.stat().st_mtime > execute.eval_path(src).stat().st_mtime:
            raise BookError(f'{execute.rel(src)}: changed during the build '
                            '— run `make html` again')


def finish_conf(conf, overrides):
    """The conf.py d2lbook wrote, without its bibliography style and with the
    book's overrides after it (d2lbook rewrites it on every rst step)."""
    text = BIBTEX_STYLE.sub('', conf.read_text(encoding='utf-8'), count=1)
    conf.write_text(text + CONF_OVERRIDES + overrides, encoding='utf-8')


# d2lbook's conf.py registers a citation style with sphinxcontrib.bibtex,
# whose import (with pybtex and pkg_resources) costs every build 0.15 s; the
# book has no bibliography and drops the extension (CONF_OVERRIDES).
BIBTEX_STYLE = re.compile(r'^# Customize bibtext_reference_style.*?'
                          r"^bibtex_reference_style = '\w+'\n", re.M | re.S)


# Appended to the conf.py d2lbook writes on every rst step.
CONF_OVERRIDES = """
# --- booktools overrides -------------------------------------------------
# The book has no bibliography; with none configured the extension warns.
extensions = [e for e in extensions if e != 'sphinxcontrib.bibtex']
"""


WARNING_RE = re.compile(r'^(?P<file>\S+?\.rst):(?P<line>\d+)?:? ?'
                        r'(?P<kind>WARNING|ERROR|SEVERE|CRITICAL): (?P<msg>.*)$')
FIXES = [
    ('undefined label', 'define it with :label:`{0}` or fix the reference'),
    ('image file not readable', 'add the file under img/ or fix the path'),
    ('included in any toctree', 'list it in the toc block of index.md'),
    ('number is not assigned', 'label a section that is in the numbered '
     'toc of index.md'),
    ('Unknown target name', 'this reST markup came from the Markdown: '
     'escape it or put it in backticks'),
]


def source_location(rst_file, msg):
    """Map a warning on `_build/rst/x.rst` to `x.md` and, if possible, a line."""
    path = pathlib.Path(rst_file)
    try:
        relative = path.resolve().relative_to(BOOK.rst.resolve())
    except ValueError:
        return str(rst_file), None
    md = relative.with_suffix('.md')
    token = re.search(r"'([^']+)'|not readable: (\S+)|not assigned: (\S+)",
                      msg)
    if not token or not (ROOT / md).exists():
        return str(md), None
    if token.group(2):
        needles = [pathlib.Path(token.group(2)).name]
    else:  # Sphinx may report a label with `_` turned into `-`
        needles = [token.group(1) or token.group(3)]
        needles.append(needles[0].replace('-', '_'))
    lines = (ROOT / md).read_text(encoding='utf-8').splitlines()
    for n, text in enumerate(lines, 1):
        if any(needle in text for needle in needles):
            return str(md), n
    return str(md), None


def explain_sphinx(output):
    problems = []
    for raw in output.splitlines():
        m = WARNING_RE.match(raw.strip())
        if not m:
            continue
        where, line = source_location(m['file'], m['msg'])
        token = re.search(r"'([^']+)'", m['msg'])
        fix = next((f.format(token.group(1) if token else '')
                    for key, f in FIXES if key in m['msg']),
                   'see the message above')
        problem = f'{where}:{line or 1}: {m["msg"]} — {fix}'
        if problem not in problems:  # Sphinx repeats some per reference
            problems.append(problem)
    return problems


# --- figure numbers without every doctree -----------------------------------
# With numfig on, Sphinx numbers the figures again after every edit by
# walking the doctree of every document (TocTreeCollector.
# assign_figure_numbers): unpickling all of them is the largest part of a
# one-page rebuild that grows with the book. The walk only needs sections,
# toctrees and numbered nodes, so it is given a skeleton of each doctree
# that holds just those, kept under _build/cache/figure-skeletons and made
# again when the doctree's file changes. Sphinx's own code does the
# numbering; tests/test_layout.py checks that it numbers the same.

SKELETONS = BOOK.cache / 'figure-skeletons'


def skeleton(doctree, env):
    """A copy of `doctree` with only what figure numbering looks at:
    sections and toctrees (as shallow copies with their kept children), and
    every node a domain numbers (figures, tables, code blocks), whole."""
    from docutils import nodes
    from sphinx import addnodes
    domains = list(env.domains.values())

    def numbered(node):  # what assign_figure_numbers' get_figtype numbers
        if isinstance(node, nodes.section):
            return False
        for d in domains:
            if d.name == 'std' and not d.get_numfig_title(node):
                continue  # an uncaptioned node is not numbered
            if d.get_enumerable_node_type(node):
                return True
        return False

    def prune(node):
        if isinstance(node, addnodes.toctree) or numbered(node):
            return node.deepcopy()
        kept = [c for c in (prune(child) for child in node.children
                            if isinstance(child, nodes.Element)) if c]
        if not kept and not isinstance(node, (nodes.section,
                                              nodes.document)):
            return None
        copy = node.copy()
        copy.extend(kept)
        return copy

    lean = nodes.Element()  # the walk reads only the root's children
    lean.extend(prune(doctree).children)
    for node in lean.findall(nodes.Element):
        node.document = None  # it leads to the settings, and the environment
    return lean


def _lean_doctrees(env):
    """env.get_doctree, answering with skeletons (see above)."""
    import pickle
    real = env.get_doctree

    def get_doctree(docname):
        source = pathlib.Path(env.doctreedir) / f'{docname}.doctree'
        cached = SKELETONS / f'{docname}.pickle'
        st = source.stat()
        mark = (st.st_mtime_ns, st.st_size)
        try:
            with open(cached, 'rb') as f:
                seen, lean = pickle.load(f)
            if seen == mark:
                return lean
        except (FileNotFoundError, EOFError, pickle.UnpicklingError,
                ValueError, TypeError, AttributeError):
            pass
        lean = skeleton(real(docname), env)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + '.tmp')
        with open(tmp, 'wb') as f:
            pickle.dump((mark, lean), f, pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
        return lean
    return get_doctree


class _Ids:
    """What StandardDomain._resolve_numref_xref reads of the target's
    doctree (`.ids`), from its skeleton."""

    def __init__(self, lean):
        from docutils import nodes
        self.ids = {}
        for node in lean.findall(nodes.Element):
            for ident in node.get('ids', ()):
                self.ids.setdefault(ident, node)


def _lean_numref(resolve):
    """Sphinx 5.3 unpickles the whole doctree of a :numref:'s target document
    for every reference, to look at one node: a section (its id) or a
    numbered node, which the skeleton above holds whole. The skeleton
    answers (each document's once per build); a label on anything it does
    not hold goes to Sphinx's own lookup, so warnings stay Sphinx's."""
    def resolve_numref(self, env, fromdocname, builder, typ, target, node,
                       contnode):
        if target in self.labels:
            docname, labelid, _ = self.labels[target]
        else:
            docname, labelid = self.anonlabels.get(target, ('', ''))
        memo = builder.__dict__.setdefault('booktools_ids', {})
        if docname and docname not in memo:
            try:
                memo[docname] = _Ids(_lean_doctrees(env)(docname))
            except OSError:
                memo[docname] = None
        lean = memo.get(docname)
        if lean is None or labelid not in lean.ids:
            return resolve(self, env, fromdocname, builder, typ, target, node,
                           contnode)
        env.get_doctree = lambda name: lean if name == docname else \
            type(env).get_doctree(env, name)
        try:
            return resolve(self, env, fromdocname, builder, typ, target, node,
                           contnode)
        finally:
            del env.get_doctree
    resolve_numref.booktools = True
    resolve_numref.sphinx = resolve  # Sphinx's own, for the tests
    return resolve_numref


def patch_sphinx():
    """Number figures and resolve :numref: from doctree skeletons, answer
    the sidebar and the toctrees in the pages' text from the navigation
    cache, and keep the search index's stems, once per process."""
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.domains.std import StandardDomain
    from sphinx.environment.collectors.toctree import TocTreeCollector
    assign = TocTreeCollector.assign_figure_numbers
    if getattr(assign, 'booktools', False):
        return
    StandaloneHTMLBuilder._get_local_toctree = _cached_local_toctree(
        StandaloneHTMLBuilder._get_local_toctree)
    from sphinx.environment import BuildEnvironment
    from sphinx.environment.adapters.toctree import TocTree
    BuildEnvironment.get_and_resolve_doctree, TocTree.resolve = \
        _cached_body_toctrees(BuildEnvironment.get_and_resolve_doctree,
                              TocTree.resolve)
    StandardDomain._resolve_numref_xref = _lean_numref(
        StandardDomain._resolve_numref_xref)
    StandaloneHTMLBuilder.write = _only_the_pages_that_change(
        StandaloneHTMLBuilder.write)
    from sphinx.search import IndexBuilder
    IndexBuilder.__init__ = _remembered_stems(IndexBuilder.__init__)

    def assign_figure_numbers(self, env):
        env.get_doctree = _lean_doctrees(env)  # shadows the method
        try:
            return assign(self, env)
        finally:
            del env.get_doctree  # the environment is pickled without it
    assign_figure_numbers.booktools = True
    assign_figure_numbers.sphinx = assign  # Sphinx's own, for the tests
    TocTreeCollector.assign_figure_numbers = assign_figure_numbers


# --- the search index's stems ----------------------------------------------
# Sphinx's search index stems every word of each page it writes, remembering
# the stems for one build only: a one-sentence edit of a long chapter had its
# few thousand words stemmed again on every rebuild. A stem is a function of
# the word and of the stemmer, so the stems are kept across builds, under
# the versions of Sphinx and of the stemmer and the search language.

STEMS = BOOK.cache / 'search-stems.json'


def stems_key(lang):
    """Sphinx's version, the search language (its code, name and options)
    and the stemmer's code (code by stat: a reinstall or an edit rewrites
    it; the package's version would cost a metadata scan as long as the
    stemming saved)."""
    def code(obj):
        path = getattr(sys.modules.get(type(obj).__module__), '__file__', None)
        return stat_key(path) if path else None
    stemmer = getattr(lang, 'stemmer', None)
    return [_sphinx_version(), type(lang).__module__, type(lang).__name__,
            code(lang), lang.lang, repr(sorted(lang.options.items())),
            type(stemmer).__name__, code(stemmer)]


def _remembered_stems(init):
    def __init__(self, env, lang, options, scorer):
        init(self, env, lang, options, scorer)
        known = read_record(STEMS, stems_key(self.lang))
        known.pop('', None)
        self._stem_cache.update(known)
        self.booktools_stems = len(known)
    __init__.sphinx = init  # Sphinx's own, for the tests
    return __init__


def save_stems(builder):
    """Record the stems of this build's index, if it found new words."""
    import json
    indexer = getattr(builder, 'indexer', None)
    if indexer is None or len(indexer._stem_cache) == getattr(
            indexer, 'booktools_stems', None):
        return
    write_atomic(STEMS, json.dumps({'': stems_key(indexer.lang),
                                    **indexer._stem_cache},
                                   ensure_ascii=False))


# --- the navigation: every page lists every document's title ---------------
# The theme's sidebar (and the previous/next links) of every page show every
# document's title and number. Sphinx 5.3 rewrites after an edit only the
# edited page, the root and the pages whose numbers moved: a retitled or
# added chapter left the other pages' sidebars stale. `_titles_changed`
# (an env-get-updated listener) has every page rewritten when a title, a
# toctree or a title's number changed. Knowing that, the sidebar of a page
# is a function of the page's name and the navigation state: it is resolved
# once per state and page (`_cached_local_toctree`, under
# _build/cache/navigation), instead of walking every document's toc on
# every page written (work that grows with the book on every edit).

NAVIGATION = BOOK.cache / 'navigation'
NAVIGATION_SHOWN = BOOK.cache / 'navigation-shown'


DOC_PARTS = BOOK.cache / 'navigation-parts.json'
_PARTS = {}  # {doc: [read stamp, numbers, parts]}, this process's


def _doc_parts(env):
    """{doc: digests of what its read left in the environment and the
    navigation shows}: its title, the top-level entries of its toc, its
    whole toc, the toctrees in it with their options, its `tocdepth`.

    Digesting every document's toc costs a prose edit at 160 notebooks a
    tenth of a second, and only the documents Sphinx read again can have
    changed: a document's parts are kept (in DOC_PARTS, across builds)
    under the time Sphinx read it (`env.all_docs`) and its section numbers
    (which Sphinx writes into the toc and title it read, renumbering
    documents it did not read)."""
    import json
    from docutils import nodes
    from sphinx import addnodes
    key = [digest(pathlib.Path(__file__)), _sphinx_version()]
    known = None
    parts, changed = {}, False
    for d in sorted(env.all_docs):
        numbers = digest(sorted(env.toc_secnumbers.get(d, {}).items()))
        mark = [env.all_docs[d], numbers]
        got = _PARTS.get(d)
        if got is None or got[0] != mark:
            if known is None:
                known = read_record(DOC_PARTS, key)
            got = known.get(d)
        if got is None or got[0] != mark:
            toc = env.tocs.get(d)
            top = [] if toc is None else [
                item[0].pformat() for item in toc.children
                if isinstance(item, nodes.list_item) and item.children]
            trees = [] if toc is None else [
                sorted((k, repr(v)) for k, v in node.attributes.items())
                for node in toc.findall(addnodes.toctree)]
            got = [mark, [
                digest(env.titles[d].pformat() if d in env.titles else None,
                       top, trees, env.metadata.get(d, {}).get('tocdepth')),
                digest(toc.pformat() if toc is not None else None)]]
            changed = True
        _PARTS[d] = got
        parts[d] = got[1]
    if changed or known is not None and set(known) - {''} != set(parts):
        write_atomic(DOC_PARTS, json.dumps(
            {'': key, **{d: _PARTS[d] for d in parts}}))
    return parts


def _sphinx_version():
    import sphinx
    return sphinx.__version__


def title_state(env, parts=None):
    """What the sidebar and the previous/next links of every page show:
    each document's title, the top-level entries of its table of contents
    (their words and numbers; the theme's sidebar shows those of each
    document), the toctrees in it with their options and captions, its
    `tocdepth` (_doc_parts), its number, and which documents each toctree
    includes; `parts` are _doc_parts(env), when the caller has them."""
    parts = _doc_parts(env) if parts is None else parts
    return digest([(d, parts[d][0], env.toc_secnumbers.get(d, {}).get(''))
                   for d in sorted(env.all_docs)],
                  sorted((k, list(v)) for k, v in
                         env.toctree_includes.items()))


def _titles_changed(app, env):
    """env-get-updated: every page, when what each page's navigation shows
    differs from what the last successful build wrote (NAVIGATION_SHOWN,
    recorded by `sphinx` after the build: Sphinx saves its environment
    before writing the pages, so an interrupted build must not count);
    every page too when there is no record (a first build writes them all
    anyway). A build that rewrites every page removes the record first: cut
    short once it wrote some of them, and its edit undone, the next build
    would otherwise find the old state recorded and leave those pages
    showing the undone one."""
    state = app.booktools_shown = title_state(env)
    try:
        old = NAVIGATION_SHOWN.read_text(encoding='utf-8')
    except FileNotFoundError:
        old = None
    if old == state:
        return []
    NAVIGATION_SHOWN.unlink(missing_ok=True)
    return sorted(env.found_docs)


NAVIGATION_WRITTEN = BOOK.cache / 'navigation-written'
SELF_CONTAINED = BOOK.cache / 'self-contained.json'


def _self_contained(env):
    """self_contained(doc): True when what the document's page shows of
    other documents is its navigation only: its doctree holds no reference
    to resolve (a :ref:, :numref:, :doc: or citation, whose words, number or
    warning come from another document, and none pending for an extension)
    and the index domain holds no entry of it (the search index keeps only
    the entries of the pages it is fed). Kept, across builds, under the
    time Sphinx read the document."""
    import json
    from docutils import nodes
    from sphinx import addnodes
    key = [_sphinx_version(), digest(pathlib.Path(__file__))]
    known = read_record(SELF_CONTAINED, key)
    entries = env.get_domain('index').entries
    found = {}  # what this build had to read, recorded by save()

    def self_contained(doc):
        if entries.get(doc):
            return False
        stamp = env.all_docs.get(doc)
        got = found.get(doc) or known.get(doc)
        if isinstance(got, list) and len(got) == 2 and got[0] == stamp:
            return got[1]
        alone = next(env.get_doctree(doc).findall(lambda n: isinstance(n, (
            addnodes.pending_xref, nodes.citation_reference,
            nodes.pending))), None) is None
        found[doc] = [stamp, alone]
        return alone

    def save():
        if found:
            write_atomic(SELF_CONTAINED, json.dumps({**known, **found,
                                                     '': key}))
    self_contained.save = save
    return self_contained


def _only_the_pages_that_change(write):
    """Builder.write: to the pages out of date and those an
    env-get-updated listener names (_titles_changed: every page, when the
    navigation changed), Sphinx adds the root document and every document
    whose toctree lists one of them. What those show of the others is
    their navigation (navigation_state), unless their text refers to
    another document (_self_contained): when the navigation is the one
    every page was last written with (NAVIGATION_WRITTEN, removed before
    any page is written and recorded once all are), such pages would come
    out as they are, and are neither written nor indexed again (a prose
    edit in a book of 160 notebooks wrote, indexed and finalized the front
    page again, a tenth of its rebuild)."""
    def booktools_write(self, build_docnames, updated_docnames,
                        method='update'):
        state = navigation_state(self)
        try:
            same = NAVIGATION_WRITTEN.read_text(encoding='utf-8') == state
        except FileNotFoundError:
            same = False
        NAVIGATION_WRITTEN.unlink(missing_ok=True)
        self.booktools_written = state  # for `sphinx`, once all is written
        if method != 'update' or not same or build_docnames is None or \
                build_docnames == ['__all__']:
            return write(self, build_docnames, updated_docnames, method)
        wanted = set(build_docnames) | set(updated_docnames)
        self_contained = _self_contained(self.env)
        kept = {}

        def only(docnames):  # a document Sphinx adds is kept if it refers
            for doc in docnames:
                if doc not in kept:
                    kept[doc] = doc in wanted or not self_contained(doc)
            return [doc for doc in docnames if kept[doc]]
        prepare, serial, parallel = (self.prepare_writing, self._write_serial,
                                     self._write_parallel)
        self.prepare_writing = lambda docnames: prepare(set(only(docnames)))
        self._write_serial = lambda docnames: serial(only(docnames))
        self._write_parallel = lambda docnames, nproc: parallel(
            only(docnames), nproc)
        try:
            return write(self, build_docnames, updated_docnames, method)
        finally:
            del self.prepare_writing, self._write_serial, self._write_parallel
            self_contained.save()
    booktools_write.booktools = True
    booktools_write.sphinx = write  # Sphinx's own, for the tests
    return booktools_write


def navigation_state(builder):
    """All a sidebar is made of besides its page's name: the titles and
    tocs of every document, the toctrees, the section numbers, the HTML
    configuration, Sphinx and this file."""
    env = builder.env
    parts = _doc_parts(env)
    return digest(
        title_state(env, parts),
        [(d, parts[d][1]) for d in sorted(env.all_docs)],
        sorted((d, sorted(n.items())) for d, n in env.toc_secnumbers.items()),
        builder.build_info.config_hash, builder.build_info.tags_hash,
        _sphinx_version(), pathlib.Path(__file__))


def _navigation_folder(builder):
    """Where this builder's navigation state keeps what it resolved; the
    folders of other states are removed the first time it is asked."""
    import shutil
    folder = builder.__dict__.get('booktools_navigation')
    if folder is None:
        state = builder.__dict__.get('booktools_written') or \
            navigation_state(builder)  # (the write of this build made it)
        folder = NAVIGATION / state[:24]
        if NAVIGATION.exists():  # older states' entries
            for old in NAVIGATION.iterdir():
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        builder.booktools_navigation = folder
    return folder


def _cached_local_toctree(resolve):
    """StandaloneHTMLBuilder._get_local_toctree, answered from the cache
    when the navigation state is the one it was resolved in."""

    def local_toctree(self, docname, collapse=True, **kwargs):
        entry = _navigation_folder(self) / digest(docname, collapse, sorted(
            (k, repr(v)) for k, v in kwargs.items()))
        html = read_entry(entry)
        if html is None:
            html = resolve(self, docname, collapse, **kwargs)
            write_entry(entry, html)
        return html
    local_toctree.booktools = True
    local_toctree.sphinx = resolve  # Sphinx's own, for the tests
    return local_toctree


# The toctrees in a page's own text (the front page lists every chapter and
# its sections) are resolved, like the sidebar, once per navigation state:
# Sphinx rewrites the front page after every edit, and resolving its toctree
# deep-copied every chapter's toc. Only what a resolve that warned nothing
# gave is kept (a warning is an error to report again, not to hide).
_BODY = []  # the HTML builder whose page text is being resolved


class _Seen(logging.Handler):
    """Counts the warnings (and worse) logged while it is attached."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = 0

    def emit(self, record):
        self.records += 1


def _cached_body_toctrees(get_and_resolve, resolve):
    """BuildEnvironment.get_and_resolve_doctree and TocTree.resolve: while
    the first resolves a page for an HTML builder, the second answers from
    the navigation cache."""
    import base64
    import pickle
    from sphinx.builders.html import StandaloneHTMLBuilder

    def get_and_resolve_doctree(self, docname, builder, *args, **kwargs):
        if not isinstance(builder, StandaloneHTMLBuilder):
            return get_and_resolve(self, docname, builder, *args, **kwargs)
        _BODY.append(builder)
        try:
            return get_and_resolve(self, docname, builder, *args, **kwargs)
        finally:
            _BODY.pop()

    def cached_resolve(self, docname, builder, toctree, *args, **kwargs):
        if not _BODY or _BODY[-1] is not builder:
            return resolve(self, docname, builder, toctree, *args, **kwargs)
        import docutils
        entry = _navigation_folder(builder) / ('body-' + digest(
            docutils.__version__, docname, toctree.pformat(), sorted(
                (k, repr(v)) for k, v in toctree.attributes.items()),
            args, sorted(kwargs.items())))
        kept = read_entry(entry)
        if kept is not None:
            try:
                return pickle.loads(base64.b64decode(kept))
            except Exception:  # noqa: BLE001  made by other code: a miss
                pass
        # Sphinx holds back the warnings of the pages it writes until all
        # are written (logging.pending_warnings), so its count of warnings
        # cannot tell: a handler of our own sees them as they are made.
        seen = _Seen()
        sphinx_log = logging.getLogger('sphinx')
        sphinx_log.addHandler(seen)
        try:
            result = resolve(self, docname, builder, toctree, *args, **kwargs)
        finally:
            sphinx_log.removeHandler(seen)
        if not seen.records:
            bare = None if result is None else result.deepcopy()
            for node in () if bare is None else bare.findall():
                node.document = None  # not the doctrees it was copied from
            write_entry(entry, base64.b64encode(pickle.dumps(bare))
                        .decode('ascii'))
        return result
    get_and_resolve_doctree.booktools = cached_resolve.booktools = True
    get_and_resolve_doctree.sphinx = get_and_resolve  # Sphinx's own
    cached_resolve.sphinx = resolve
    return get_and_resolve_doctree, cached_resolve


def write_numbers(env):
    """Every document's section and figure numbers, into BOOK.numbers when
    they differ from what it holds: an unchanged file tells the notebooks'
    export that no link's words or captions of other pages moved."""
    import json
    text = json.dumps({'sections': env.toc_secnumbers,
                       'figures': env.toc_fignumbers}, sort_keys=True)
    try:
        if BOOK.numbers.read_text(encoding='utf-8') == text:
            return
    except FileNotFoundError:
        pass
    write_atomic(BOOK.numbers, text)


class OpenSphinx:
    """A Sphinx application on the book's rst folder, made but not built
    yet, inside docutils' namespace (left by `close`)."""

    def __init__(self, builder, outdir, strict):
        import contextlib
        import io
        patch_sphinx()
        from sphinx.application import Sphinx
        from sphinx.util.console import nocolor
        from sphinx.util.docutils import docutils_namespace, patch_docutils
        nocolor()  # plain text, so warnings can be read and mapped
        self.builder, self.strict = builder, strict
        self.conf = None  # conf.py as it was read, when made ahead
        self.warnings = io.StringIO()
        self.stack = contextlib.ExitStack()
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            self.stack.enter_context(patch_docutils(BOOK.rst))
            self.stack.enter_context(docutils_namespace())
            self.app = Sphinx(str(BOOK.rst), str(BOOK.rst), str(outdir),
                              str(BOOK.doctrees(builder)), builder,
                              status=None, warning=self.warnings,
                              warningiserror=strict, keep_going=True)
            # After Sphinx's own listener, which assigns the numbers.
            self.app.connect('env-get-updated', _titles_changed, priority=900)
        except BaseException:
            self.close()
            raise
        finally:
            os.chdir(cwd)

    def close(self):
        self.stack.close()


def prepare_html():
    """The HTML build's Sphinx, made while the main process evaluates and
    writes reST (Sphinx's start-up reads the environment of the last build,
    about a quarter second in a book of 160 notebooks), or None when it
    cannot be made ahead: no earlier build, or a conf.py not finished or
    changing while it was read. `sphinx` uses it only if conf.py is, after
    the rst step, the file it read."""
    from booktools import config
    conf = BOOK.rst / 'conf.py'
    try:
        before = conf.read_bytes()
    except OSError:
        return None
    if CONF_OVERRIDES.encode('utf-8') not in before or not \
            (BOOK.doctrees('html') / 'environment.pickle').exists():
        return None
    try:
        made = OpenSphinx('html', BOOK.html, config.warning_is_error())
    except Exception:  # noqa: BLE001  made again, and reported, by sphinx()
        return None
    try:  # d2lbook rewrote it meanwhile, or removed the whole folder (new
        after = conf.read_bytes()  # converters: the reST is made afresh)
    except OSError:
        after = None
    if after != before:
        made.close()
        return None
    made.conf = before
    return made


def _check_quizzes():
    """The self-check questions against the evaluated notebooks (quiz.py's
    listener then finds them all recorded as passed)."""
    from booktools import quiz
    quiz.check_book(sorted((ROOT / 'chapters').glob('*.md')), BOOK.eval,
                    BOOK.cache / quiz.RECORD)


def sphinx(builder, outdir, made=None):
    """Sphinx in this process (no second interpreter start-up), with the
    application `made` ahead by prepare_html if it still fits; every
    warning is reported against the Markdown source, and fails the build
    unless config.ini says `warning_is_error = False`. True if it built
    with the application made ahead."""
    from booktools import config
    from sphinx.errors import SphinxError
    strict = config.warning_is_error()
    if made is not None and (made.builder != builder or made.strict != strict
                             or made.conf != (BOOK.rst / 'conf.py')
                             .read_bytes()):
        made.close()
        made = None
    warnings = made.warnings if made else None
    ahead = made is not None
    cwd = os.getcwd()
    try:
        if made is None:
            made = OpenSphinx(builder, outdir, strict)
            warnings = made.warnings
        os.chdir(ROOT)
        app = made.app
        if builder == 'html':  # before Sphinx, which would drop its
            _check_quizzes()   # environment on a listener's error
        app.build()
        failed = app.statuscode != 0
        if not failed and builder == 'html':
            write_numbers(app.env)
            save_stems(app.builder)
            shown = getattr(app, 'booktools_shown', None)
            if shown is not None:
                write_atomic(NAVIGATION_SHOWN, shown)
            written = getattr(app.builder, 'booktools_written', None)
            if written is not None:
                write_atomic(NAVIGATION_WRITTEN, written)
    except SphinxError as e:
        if isinstance(getattr(e, 'orig_exc', None), BookError):
            raise e.orig_exc from None  # a listener's own (quiz.py): as is
        failed = True
        if warnings is None:
            import io
            warnings = io.StringIO()
        warnings.write(f'\n{e}\n')
    finally:
        os.chdir(cwd)
        if made is not None:
            made.close()
    if failed or (strict and warnings.getvalue().strip()):
        problems = explain_sphinx(warnings.getvalue())
        raise BookError('\n'.join(problems) if problems else
                        f'Sphinx failed:\n{warnings.getvalue()}')
    if warnings.getvalue().strip():  # config.ini: warning_is_error = False
        for problem in explain_sphinx(warnings.getvalue()) or [
                warnings.getvalue().strip()]:
            print(f'warning: {problem}', file=sys.stderr, flush=True)
    return ahead


# Imported by the rendering process while the main one evaluates: most of
# what Sphinx and the page post-processing load, built-in extensions included.
WARM = ('sphinx.application', 'sphinx.builders.html', 'sphinx.builders.latex',
        'sphinx.builders.epub3', 'sphinx.builders.texinfo',
        'sphinx.builders.linkcheck', 'sphinx.builders.manpage',
        'sphinx.domains.python', 'sphinx.domains.cpp', 'sphinx.domains.c',
        'sphinx.directives.code', 'sphinx.directives.other',
        'sphinx.environment.collectors.toctree', 'sphinx.jinja2glue',
        'sphinx.ext.autodoc', 'sphinx.ext.viewcode', 'sphinx.ext.mathjax',
        'docutils.parsers.rst.directives.body',
        'docutils.writers.html5_polyglot', 'recommonmark.parser',
        'sphinxcontrib.rsvgconverter', 'mxtheme', 'pygments.lexers.python',
        'booktools.site')


def warm_imports(names=WARM):
    """Import these modules now, so that a build later finds them loaded."""
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a later version may have moved it; only time is lost


def remove_stale_pages():
    """Pages whose source is gone (Sphinx never deletes them)."""
    generated = {'genindex.html', 'search.html', 'py-modindex.html'}
    for page in BOOK.html.rglob('*.html'):
        relative = page.relative_to(BOOK.html)
        if relative.parts[0] in ('_static', '_images', BOOK.rel(BOOK.notebooks_in_html)
                                 .split(os.sep)[-1]):
            continue
        if (str(relative) not in generated and
                not (BOOK.rst / relative.with_suffix('.rst')).exists()):
            page.unlink()


def timed(timings, name, step):
    import time
    start = time.perf_counter()
    step()
    timings[name] = round(time.perf_counter() - start, 3)


def _render(conn, other_end, parent):
    """The rendering process: warm up, then on `render` run Sphinx, say so,
    and post-process the pages; report timings or the problem."""
    import traceback
    # A build that dies takes this process along, even in the middle of
    # Sphinx; while it waits, it would read the end of the pipe anyway.
    die_with_parent(parent)
    other_end.close()
    timings = {}
    try:
        warm_imports()
        from booktools import site
        site.warm()
        made = prepare_html()  # while the main process evaluates
        conn.send(('prepared', None))  # conf.py may be rewritten now
        # The environment just read, the imports and the pages' tables stay
        # for the life of this process: the collector need not walk them.
        import gc
        gc.freeze()
        if conn.recv() != 'render':
            return
        timed(timings, 'sphinx', lambda: (
            finish_conf(BOOK.rst / 'conf.py', site.CONF_OVERRIDES),
            timings.update(ahead=int(sphinx('html', BOOK.html, made)))))
        timed(timings, 'stale', remove_stale_pages)
        # The main process exports the notebooks, reading the pages, while
        # this one finalizes them (site.finalize writes each page whole).
        conn.send(('rendered', None))
        timed(timings, 'finalize', lambda: site.finalize(BOOK.html))
        conn.send(('ok', timings))
    except BookError as e:
        conn.send(('error', str(e)))
    except BaseException:
        conn.send(('crash', traceback.format_exc()))


class Renderer:
    """Sphinx in a second process, forked as the build starts. It spends the
    first half second importing Sphinx and the post-processing while this
    process imports d2lbook and evaluates: the two start-ups share the two
    cores instead of following each other. Once Sphinx has written the
    pages, it finalizes them while this process exports the notebooks."""

    def __init__(self):
        import multiprocessing
        context = multiprocessing.get_context('fork')
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_render, daemon=True,
                                       args=(child, self.conn, os.getpid()))
        self.process.start()
        child.close()
        self.is_prepared = False

    def send(self, command):
        try:
            self.conn.send(command)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it stopped early; result() reads why

    def _reply(self):
        try:
            kind, value = self.conn.recv()
        except EOFError:
            self.process.join()
            raise BookError('the Sphinx process ended without a result (exit '
                            f'code {self.process.exitcode}) — run `make html` '
                            'again; if it repeats, report it')
        if kind == 'error':
            raise BookError(value)
        if kind == 'crash':
            raise RuntimeError(f'rendering failed:\n{value}')
        return kind, value

    def prepared(self):
        """Wait until it has made its Sphinx ahead, or found it could not:
        it reads conf.py, which the rst step rewrites (the two raced, and
        Sphinx was made ahead in some builds only)."""
        if self.is_prepared:
            return
        kind, _ = self._reply()
        if kind != 'prepared':
            raise RuntimeError(f'rendering: {kind!r} before being prepared')
        self.is_prepared = True

    def rendered(self):
        """Wait until Sphinx has written the pages (finalize then begins)."""
        self.prepared()
        kind, _ = self._reply()
        if kind != 'rendered':
            raise RuntimeError(f'rendering: {kind!r} before the pages')

    def result(self):
        _, value = self._reply()
        self.process.join()
        return value

    def finish(self):
        """Let it end what it is doing, whatever the outcome (the build
        fails for another reason)."""
        try:
            self.result()
        except (BookError, RuntimeError):
            pass

    def close(self):
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


