"""Make the Sphinx HTML output the book's own: offline, small, bilingual.

`CONF_OVERRIDES` is appended to the conf.py d2lbook generates; `finalize`
post-processes `_build/html` after Sphinx has written it:

- nothing is fetched from another host: no analytics, no CDN MathJax, no
  Google fonts; the icon font is inlined into `_static/fonts.css`;
- only the files pages use stay in `_static/` (the theme copies ~48 MB);
- every `English / 한국어` heading, title, navigation entry and caption is
  split into `<span lang="en">` and `<span lang="ko">`, so that
  `_static/book.js` can show English, Korean or both;
- each Korean block whose English changed since it was translated
  (booktools.twins) gets the class `twin-stale` and a note in both
  languages; under its title each page says how many of its Korean blocks
  are stale, and the front page says it for the whole book.
- the header gets the language switch and the light/dark/auto switch, the
  page a skip link, and the theme's invalid or inaccessible markup (a second
  `<meta charset>`, `role="botton"`, an empty form action, a hidden second
  drawer) is corrected: tests/test_a11y.py holds every page to axe-core's
  WCAG 2.1 AA rules and to the Nu HTML Checker.
"""
import base64
import functools
import json
import os
import pathlib
import re
import shutil

from bs4 import BeautifulSoup, NavigableString, Tag
from sphinx.search.en import SearchEnglish

from booktools import BookError, ROOT, langs, quiz, twins
from booktools.book import notebook_sources, read_config
from booktools.langs import HANGUL, KO_NUMREF, SYLLABLES, \
    ko_numref as _ko_numref
from booktools.layout import BOOK, digest, read_entry, read_record, \
    stat_key, write_atomic, write_entry, write_if_changed
from booktools.notebooks import IN_HTML as NOTEBOOKS, ZIP_NAME

STATIC = pathlib.Path(__file__).resolve().parent / 'static'
# Relative to _static/. The "-full" build has every TeX extension inside, so
# it never loads more files; SVG output needs no font files either.
MATHJAX = 'mathjax/tex-svg-full.js'
ICON_FONT = 'material-design-icons-3.0.1/iconfont/MaterialIcons-Regular.woff2'

CONF_OVERRIDES = """
# --- booktools.site: offline, small, bilingual pages ----------------------
import os as _os, sys as _sys
# conf.py is _build/rst/conf.py; booktools lives two folders up.
_sys.path.insert(0, _os.path.join(_os.path.dirname(_os.path.abspath(__file__)),
                                  '..', '..'))
from booktools import site as _site
html_static_path = ['_static', str(_site.STATIC)]
html_title = project  # not "<project> 0.1.0 documentation"
# No _sources/ copies and no search summaries: Sphinx fetch()es those, which
# a page opened as file:// may not do.
html_copy_source = False
html_show_sourcelink = False
html_show_search_summary = False
mathjax_path = _site.MATHJAX
# MathJax's menu loads accessibility code on demand that the book does not ship.
mathjax3_config = {'options': {'enableMenu': False}}
setup = _site.setup  # replaces d2lbook's, whose d2l.js carries analytics
# finalize() rewrites pages after Sphinx, and Sphinx rewrites only changed
# pages; a new value here makes it rewrite all when this post-processing changes.
html_context = dict(globals().get('html_context', {}),
                    booktools_site=_site.fingerprint())
"""

SEP = ' / '
NUMBER = re.compile(r'\s*\d+(\.\d+)*\.\s+')  # Sphinx's "1.2. " before a title
# Never touched: code, and the text of the <head>.
SKIP = {'pre', 'code', 'script', 'style', 'textarea', 'title', 'head'}
# Inside a `::: en` / `::: ko` block only these may hold a bilingual title
# (a reference to a section); a paragraph's own " / " is prose.
INLINE = {'a', 'span', 'em', 'strong', 'cite'}
# The theme's own words, which are not in the sources.
UI_LABELS = {'Table Of Contents': '목차', 'Previous': '이전', 'Next': '다음',
             'Search': '검색', 'Quick search': '빠른 검색', 'Index': '색인'}
# How English shows a theme word that the theme writes differently.
UI_ENGLISH = {'Table Of Contents': 'Table of Contents'}
# The search page's own sentences (Sphinx's search.html; the ones its
# searchtools.js writes are in book.js), by the start of their English.
SEARCH_TEXTS = {
    'Please activate JavaScript': (
        'Please activate JavaScript to enable the search functionality.',
        '검색 기능을 쓰려면 자바스크립트를 켜세요.'),
    'From here you can search': (
        'From here you can search these documents. Enter your search words '
        'into the box below and click "search". Note that the search '
        'function will automatically search for all of the words. Pages '
        'containing fewer words won\'t appear in the result list.',
        '여기에서 이 책을 검색할 수 있습니다. 아래 상자에 검색어를 입력하고 '
        '검색 버튼을 누르세요. 검색어가 여러 개이면 모든 단어가 들어 있는 '
        '페이지만 결과에 나옵니다.'),
    'Search...': ('Search...', '검색...'),
}
# "side" shows both languages like "both", each English block with its
# Korean twin beside it on a wide window (book.css), stacked on a narrow one.
SWITCH = """<div class="lang-switch" role="group" aria-label="Language / 언어">\
<button type="button" data-lang-mode="en" title="English">EN</button>\
<button type="button" data-lang-mode="ko" title="한국어">한국어</button>\
<button type="button" data-lang-mode="both" title="English + 한국어">EN+한\
</button>\
<button type="button" data-lang-mode="side" title="Side by side / 나란히 보기">EN|한\
</button></div>"""
# book.js labels it with the current choice; the icon is decoration.
THEME_SWITCH = """<button type="button" class="theme-switch" data-theme-switch \
aria-label="Colours / 화면 색" title="Colours / 화면 색"><i class="material-icons" \
aria-hidden="true">brightness_auto</i></button>"""
SKIP_LINK = ('<a class="skip-link" href="#content"><span lang="en">Skip to '
             'content</span><span class="lang-sep"> / </span><span lang="ko">'
             '본문으로 건너뛰기</span></a>')


@functools.cache  # read by conf.py, the static list and finalize, once
def fingerprint():
    """Changes whenever this file, the language helpers it uses (langs.py)
    or the book's static files do."""
    files = sorted(p for p in STATIC.rglob('*') if p.is_file())
    return digest(pathlib.Path(__file__), pathlib.Path(langs.__file__),
                  *(part for p in files for part in (
                      p.relative_to(STATIC).as_posix(), p)))[:16]


class SearchEnglishHangul(SearchEnglish):
    """English search that also finds Korean words without their particles.

    Sphinx keeps `초기화를` whole, so a query `초기화` finds nothing. Each
    Hangul run is also indexed by its prefixes (초, 초기, 초기화, 초기화를),
    and words mixing scripts (`Gluon의`) by each run, so the unchanged
    search page finds a Korean stem.
    """

    def split(self, input):
        words = super().split(input)
        extra = []
        for word in words:
            runs = re.findall(f'[{SYLLABLES}]+|[^\\W{SYLLABLES}]+', word)
            if len(runs) > 1:
                extra += runs
            for run in runs:
                if HANGUL.match(run):
                    extra += [run[:n] for n in range(1, len(run))]
        return words + extra


def setup(app):
    """Sphinx hook in conf.py, instead of d2lbook's (d2l.js and d2l.css)."""
    import mxtheme
    app.add_directive('card', mxtheme.CardDirective)
    app.add_js_file('book.js')
    app.add_css_file('book.css')
    app.add_search_language(SearchEnglishHangul)
    app.connect('builder-inited', _cache_templates)
    app.connect('builder-inited', _copy_only_kept_static)
    quiz.setup(app)  # self-check questions: checked, then rendered


def keep_compiled_templates(environment):
    """Jinja compiles templates to Python in every process; keep the
    compiled code under _build/cache/jinja (Jinja checks it against each
    template's source) so that later builds load it instead."""
    import jinja2
    folder = BOOK.cache / 'jinja'
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return environment


# --- the theme's static files ----------------------------------------------
# Sphinx copies the theme's ~650 static files into _static/ on every build and
# finalize() deletes all but the few pages use: most of a small rebuild. The
# list of kept files is recorded, and later builds with the same conf.py,
# theme and post-processing copy only those.

STATIC_RECORD = BOOK.cache / 'static-kept.json'


def _static_key():
    from importlib.metadata import version
    import sphinx
    return digest(BOOK.rst / 'conf.py', fingerprint(), version('mxtheme'),
                  sphinx.__version__)


def _kept_static():
    try:
        record = json.loads(STATIC_RECORD.read_text('utf-8'))
        if record['key'] == _static_key():
            return set(record['files'])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        pass
    return None


def _copy_only_kept_static(app):
    import posixpath
    from sphinx.util.fileutil import copy_asset
    from sphinx.util.matching import DOTFILES
    builder = app.builder
    if builder.name != 'html':
        return
    kept = _kept_static()
    if kept is None:
        return  # first build, or something changed: copy all, prune after
    parents = set()
    for name in kept:
        while '/' in name:
            name = name.rsplit('/', 1)[0]
            parents.add(name)

    def unwanted(path):
        path = posixpath.normpath(path)
        if DOTFILES(path):
            return True
        name = path[:-2] if path.endswith('_t') else path  # a template
        return name not in kept and name not in parents

    def copy_theme_static_files(context):
        for entry in builder.theme.get_theme_dirs()[::-1]:
            copy_asset(os.path.join(entry, 'static'),
                       os.path.join(builder.outdir, '_static'),
                       excluded=unwanted, context=context,
                       renderer=builder.templates)
    builder.copy_theme_static_files = copy_theme_static_files


def _cache_templates(app):
    """The theme's templates, compiled once, not in every build."""
    templates = getattr(app.builder, 'templates', None)
    environment = getattr(templates, 'environment', None)
    if environment is not None:
        keep_compiled_templates(environment)


# --- plain selectors, matched fast -----------------------------------------
# soupsieve matches a CSS selector against every tag in Python, a few
# microseconds a tag: the twenty selects of finalizing one long chapter took
# a quarter of a second. The post-processing's selectors are plain ones:
# each of MATCHERS is matched by a test of its own (a walk of the tree is
# a few milliseconds), and a test checks every one against soupsieve's
# result on every page of the book, as Sphinx wrote it and finalized. Any
# other selector goes to soupsieve.

def _classes(tag, *names):
    have = tag.get('class') or ()
    if isinstance(have, str):  # a tag made here with class="a b"
        have = have.split()
    return all(n in have for n in names)


def _named(name, *classes):
    return lambda t: t.name == name and _classes(t, *classes)


MATCHERS = {
    '.lang-switch': lambda t: _classes(t, 'lang-switch'),
    '.notebook-downloads': lambda t: _classes(t, 'notebook-downloads'),
    '.twin-note, .twin-status': lambda t: _classes(t, 'twin-note') or
    _classes(t, 'twin-status'),
    'h1': _named('h1'),
    'div.page-content': _named('div', 'page-content'),
    'div.twin-stale': _named('div', 'twin-stale'),
    'div.container.ko': _named('div', 'container', 'ko'),
    'div.container.en, div.container.ko': lambda t: t.name == 'div' and (
        _classes(t, 'container', 'en') or _classes(t, 'container', 'ko')),
    'div.container.ko span.std-numref': lambda t: t.name == 'span' and
    _classes(t, 'std-numref') and any(
        p.name == 'div' and _classes(p, 'container', 'ko') for p in t.parents),
    'div.mdl-layout__header-row.header-links':
        _named('div', 'mdl-layout__header-row', 'header-links'),
    'span.caption-number': _named('span', 'caption-number'),
    'i.fa-arrow-left': _named('i', 'fa-arrow-left'),
    'i.fa-arrow-right': _named('i', 'fa-arrow-right'),
    'a.skip-link': _named('a', 'skip-link'),
    'a[role="botton"]': lambda t: t.name == 'a' and t.get('role') == 'botton',
    'form[action=""]': lambda t: t.name == 'form' and t.get('action') == '',
    'input[placeholder]': lambda t: t.name == 'input' and
    t.has_attr('placeholder'),
    'meta[charset]': lambda t: t.name == 'meta' and t.has_attr('charset'),
    'link[href$="fontawesome/all.css"]': lambda t: t.name == 'link' and
    str(t.get('href', '')).endswith('fontawesome/all.css'),
    'main > header.mdl-layout__drawer': lambda t: t.name == 'header' and
    _classes(t, 'mdl-layout__drawer') and t.parent is not None and
    t.parent.name == 'main',
}


def _matching(root, css):
    match = MATCHERS[css]
    return (t for t in root.descendants if isinstance(t, Tag) and match(t))


def select(root, css):
    """root.select(css), in document order."""
    if css not in MATCHERS:
        return root.select(css)
    return list(_matching(root, css))


def select_one(root, css):
    """root.select_one(css)."""
    if css not in MATCHERS:
        return root.select_one(css)
    return next(_matching(root, css), None)


# --- finalize --------------------------------------------------------------

FINALIZED = BOOK.cache / 'finalized.json'


def pages(html_dir, suffix='.html'):
    """The pages under `html_dir`, sorted, but for the exported notebooks'
    folder (no page there, and the main process may be rewriting it while
    finalize walks: a folder removed under a walk is skipped, not fatal)."""
    found = []
    for folder, dirs, files in os.walk(html_dir):
        if folder == str(html_dir):
            dirs[:] = [d for d in dirs if d != NOTEBOOKS]
        found += [pathlib.Path(folder, f) for f in files if f.endswith(suffix)]
    return sorted(found)


def finalize(html_dir):
    """Post-process the built pages in place. Safe to run twice: Sphinx only
    rewrites the pages that changed. Sphinx also rewrites pages whose bytes
    come out the same (the index, search, a neighbour): their rewritten
    version is kept under _build/cache/pages, keyed on the page and on this
    post-processing."""
    html_dir = pathlib.Path(html_dir)
    static = html_dir / '_static'
    for stray in pages(html_dir, '.html.tmp'):  # a page cut off mid-write
        stray.unlink(missing_ok=True)
    # html_copy_source is off; drop the copies an older build left.
    shutil.rmtree(html_dir / '_sources', ignore_errors=True)
    install_mathjax(static)
    inline_icon_font(static)
    cache = BOOK.cache / 'pages'
    version = fingerprint()
    states = twin_states()
    # {page: [mtime, size, twin stamp]} of each page as finalize left it: a
    # page Sphinx did not touch since, with the same twin marks, is not read.
    try:
        finalized = json.loads(FINALIZED.read_text(encoding='utf-8'))
        if finalized.pop('', None) != version:
            finalized = {}
    except (FileNotFoundError, ValueError, AttributeError):
        finalized = {}
    done = {'': version}
    for page in pages(html_dir):
        relative = page.relative_to(html_dir)
        name = relative.as_posix()
        state = states.get(name)
        mark = [*stat_key(page), stamp(state)]
        if finalized.get(name) == mark:
            done[name] = mark
            continue
        html = page.read_text(encoding='utf-8')
        if 'class="lang-switch"' in html and _stamp(html) == stamp(state):
            done[name] = mark
            continue  # finalized by an earlier build; Sphinx left it alone
        downloads = has_notebook(relative)
        entry = cache / digest(version, NOTEBOOKS, ZIP_NAME,
                               relative.as_posix(), downloads, state, html)
        new = read_entry(entry)
        if new is None:
            new = finalize_page(html, page, html_dir, state, cache)
            write_entry(entry, new)
        if new != html:  # whole or not at all: the notebooks read it
            write_atomic(page, new)
        done[name] = [*stat_key(page), stamp(state)]
    prune_static(html_dir)
    write_atomic(FINALIZED, json.dumps(done))



DOWNLOADS = ('<p class="notebook-downloads">'
             '<span lang="en">Notebook:</span><span class="lang-sep"> / '
             '</span><span lang="ko">노트북:</span> '
             '<a href="{up}{nb}/en/{path}" download>{en}</a> · '
             '<a href="{up}{nb}/ko/{path}" download>{ko}</a> · '
             '<a href="{up}{nb}/bilingual/{path}" download>{both}</a> · '
             '<a href="{up}{nb}/{zip}" download>{all}</a><br>'
             '<span lang="en">Practice (no outputs):</span><span class="lang-sep">'
             ' / </span><span lang="ko">연습용(출력 없음):</span> '
             '<a href="{up}{nb}/practice-en/{path}" download>{en}</a> · '
             '<a href="{up}{nb}/practice-ko/{path}" download>{ko}</a> · '
             '<a href="{up}{nb}/practice-bilingual/{path}" download>{both}</a>'
             '</p>')


def _both(english, korean):
    return (f'<span lang="en">{english}</span><span class="lang-sep"> / '
            f'</span><span lang="ko">{korean}</span>')


def has_notebook(page):
    """True when the page (relative to the HTML folder) gets notebooks: the
    export makes every edition of each evaluated notebook. Read from the
    evaluation, not from the exported files: finalize runs while the main
    process exports them."""
    return (BOOK.eval / pathlib.PurePath(page).with_suffix('.ipynb')).exists()


def add_downloads(soup, page, html_dir):
    """Under the page's title, links to its notebook in each edition, with
    outputs and without (practice)."""
    page = page.relative_to(html_dir)
    path = page.with_suffix('.ipynb').as_posix()
    if select_one(soup, '.notebook-downloads') or not has_notebook(page):
        return
    title = select_one(soup, 'h1')
    if title is None:
        return
    up = '../' * (len(page.parts) - 1)
    title.insert_after(BeautifulSoup(DOWNLOADS.format(
        up=up, nb=NOTEBOOKS, path=path, zip=ZIP_NAME,
        en=_both('English', '영어'), ko=_both('Korean', '한국어'),
        both=_both('bilingual', '이중 언어'), all=_both('all (.zip)',
                                                     '전체(.zip)')),
        'html.parser'))


def install_mathjax(static):
    """A local MathJax, from the `mathjax` package (PyPI django-static-mathjax)."""
    import mathjax
    source = pathlib.Path(mathjax.__file__).parent / 'static' / 'mathjax'
    target = static / MATHJAX
    target.parent.mkdir(parents=True, exist_ok=True)
    code = (source / 'es5' / pathlib.Path(MATHJAX).name).read_text('utf-8')
    # Speech and old-IE helpers default to a CDN. The book turns them off;
    # pointing them at a local (absent) path guarantees no request leaves.
    code = code.replace('https://cdn.jsdelivr.net/npm/', './')
    # Rewritten only when it changed: the build's last check reads every
    # file written since the last good build, and this one is 2 MB.
    write_if_changed(target, code)
    write_if_changed(target.parent / 'LICENSE',
                     (source / 'LICENSE').read_bytes())


def inline_icon_font(static):
    """Replace the theme's fonts.css (Google-hosted Chinese and Japanese
    fonts) by the icon font alone, inlined: browsers that refuse font files
    on file:// pages (Firefox) still show the icons. Text uses the reader's
    own fonts; book.css names Hangul-capable ones. The font is read from
    the theme itself: Sphinx may not have copied it."""
    import mxtheme
    font = pathlib.Path(mxtheme.__file__).parent / 'static' / ICON_FONT
    data = base64.b64encode(font.read_bytes()).decode('ascii')
    write_if_changed(static / 'fonts.css',
        "/* Material Icons (Apache 2.0), inlined by booktools.site */\n"
        "@font-face{font-family:'Material Icons';font-style:normal;"
        f"font-weight:400;src:url(data:font/woff2;base64,{data}) "
        "format('woff2')}\n")


# The drawer (the sidebar listing every chapter) is most of a short page and
# grows with the book, while an edit leaves it as it was: it is finalized on
# its own, once per drawer Sphinx wrote, and kept under _build/cache/pages.
# Cut out only where that gives the same page (a test finalizes every page
# both ways): the first drawer, before <main>, holding no other header and
# none of what the page-wide steps look for (a title, a Korean block, a
# twin mark, a skip link).
DRAWER = re.compile(r'<header class="mdl-layout__drawer">.*?</header>', re.S)
DRAWER_MARK = '<!--booktools:drawer-->'
NOT_IN_DRAWER = ('<header', '<h1', 'container', 'twin-', 'skip-link',
                 'page-content', 'lang-switch', 'action=""', DRAWER_MARK)


def finalize_page(html, page, html_dir, twin_state=None, cache=None):
    """A page as Sphinx wrote it, or one finalized before whose twins'
    state changed (only its marks are then redone). With `cache` (a
    folder), its drawer is finalized apart and kept there."""
    m = DRAWER.search(html) if cache is not None else None
    main = html.find('<main')
    if m is None or main < m.end() or DRAWER_MARK in html or any(
            s in m.group(0)[1:] for s in NOT_IN_DRAWER) or \
            'class="lang-switch"' in html:
        return _finalize_whole(html, page, html_dir, twin_state)
    entry = cache / digest('drawer', fingerprint(), m.group(0))
    drawer = read_entry(entry)
    if drawer is None:
        soup = BeautifulSoup(f'<body>{m.group(0)}</body>', 'html.parser')
        rewrite_page(soup)
        drawer = ''.join(str(node) for node in soup.body.contents)
        write_entry(entry, drawer)
    rest = _finalize_whole(html[:m.start()] + DRAWER_MARK + html[m.end():],
                           page, html_dir, twin_state)
    if rest.count(DRAWER_MARK) != 1:  # the page-wide steps moved it
        return _finalize_whole(html, page, html_dir, twin_state)
    return rest.replace(DRAWER_MARK, drawer)


def _finalize_whole(html, page, html_dir, twin_state=None):
    soup = BeautifulSoup(html, 'html.parser')
    if not select_one(soup, '.lang-switch'):
        rewrite_page(soup)
        # search.html's own form says action="" (invalid): it submits to
        # itself.
        for form in select(soup, 'form[action=""]'):
            form['action'] = page.name
        add_downloads(soup, page, html_dir)
    mark_twins(soup, twin_state)
    return str(soup)


def warm():
    """Do once in this process what the first finalized page would pay for:
    Beautiful Soup's entity tables (built on the first `&name;` it reads)
    and the few CSS selectors soupsieve matches (it compiles and keeps
    them). `make serve` and the renderer call it while they wait."""
    sample = ('<!DOCTYPE html><html><head><title>T</title></head><body>'
              '<header></header><div class="document"><h1>T / 티<a '
              'class="headerlink" href="#t">&para;</a></h1><p>&amp;</p>'
              '</div></body></html>')
    try:
        finalize_page(sample, BOOK.html / 'warm.html', BOOK.html, None)
    except Exception:  # noqa: BLE001  only time is at stake; the build
        pass           # itself reports whatever this ran into


# --- stale Korean twins ----------------------------------------------------

def twin_states():
    """{page: (source, stale flags of its `::: ko` blocks in order, book)}
    for every page made from a source; `book` is None except on the front
    page, where it is ((page, stale, blocks), ...) for every page."""
    flags_of = _twin_flags()
    pages = {}
    for src in notebook_sources():
        file = src.relative_to(ROOT).as_posix()
        pages[src.relative_to(ROOT).with_suffix('.html').as_posix()] = (
            file, flags_of(src, file))
    write_atomic(TWIN_FLAGS, json.dumps(flags_of.seen))
    book = tuple((page, sum(flags), len(flags))
                 for page, (_, flags) in sorted(pages.items()))
    front = read_config()['build'].get('index', 'index') + '.html'
    return {page: (file, flags, book if page == front else None)
            for page, (file, flags) in pages.items()}


TWIN_FLAGS = BOOK.cache / 'twin-flags.json'


def _twin_flags():
    """flags(src, file): the stale flags of a source's `::: ko` blocks. A
    source with the same stat as last time, under the same record file and
    the same twins.py, is not read again: its flags were recorded. What it
    found is in `flags.seen`, for the caller to record."""
    record_file = ROOT / twins.NAME
    key = [stat_key(record_file),
           stat_key(pathlib.Path(twins.__file__))]
    known = read_record(TWIN_FLAGS, key)
    seen = {'': key}
    record = []  # read only if some source must be

    def flags(src, file):
        mark = stat_key(src)
        old = known.get(file)
        if isinstance(old, list) and len(old) == 2 and old[0] == mark:
            found = tuple(old[1])
        else:
            if not record:
                record.append(twins.Record.read(record_file))
            found = tuple(record[0].flags(file, src.read_text(
                encoding='utf-8')))
        seen[file] = [mark, list(found)]
        return found

    flags.seen = seen
    return flags


STAMP = re.compile(r'<body[^>]* data-twins="([0-9a-f]+)"')


def stamp(state):
    """What a page's twin marks were made from, or None for no marks."""
    return None if state is None else digest(state)[:16]


def _stamp(html):
    m = STAMP.search(html)
    return m and m.group(1)


TWIN_NOTE = ('<p class="twin-note" role="note" id="{id}"><span lang="en">'
             'The English of this block changed after it was translated: '
             'this Korean may be out of date.</span> <span lang="ko">이 '
             '블록은 번역된 뒤에 영어 원문이 바뀌었습니다. 이 한국어 번역은 '
             '최신이 아닐 수 있습니다.</span></p>')


def _count(stale, blocks, en_where, ko_where):
    """'Korean translation of this page: 2 of 18 blocks stale', both ways."""
    return _both(f'Korean translation {en_where}: {stale} of {blocks} '
                 f'block{"s" if blocks != 1 else ""} stale' +
                 (' (their English changed)' if stale else ''),
                 f'{ko_where} 한국어 번역: 블록 {blocks}개 중 {stale}개가 ' +
                 ('영어 원문이 바뀌어 오래되었습니다' if stale else
                  '오래되었습니다'))


def mark_twins(soup, state):
    """The `twin-stale` class and note on each stale Korean block, and the
    counts under the title. Marks of an earlier state are removed first."""
    for old in select(soup, '.twin-note, .twin-status'):
        _remove(old)
    for div in select(soup, 'div.twin-stale'):
        div['class'] = [c for c in div['class'] if c != 'twin-stale']
    if soup.body is None:
        return
    if state is None:
        soup.body.attrs.pop('data-twins', None)
        return
    file, flags, book = state
    divs = select(soup, 'div.container.ko')
    if len(divs) != len(flags):
        raise BookError(f'{file}: has {len(flags)} \'::: ko\' blocks but its '
                        f'page shows {len(divs)} — check that each one is '
                        'closed and outside HTML comments and code')
    n = 0
    for div, stale in zip(divs, flags):
        if stale:
            n += 1
            div['class'] = div['class'] + ['twin-stale']
            div.insert(0, BeautifulSoup(TWIN_NOTE.format(id=f'twin-stale-{n}'),
                                        'html.parser'))
    status = []
    if flags:
        status.append(f'<p class="twin-status{" twin-status-stale" if n else ""}'
                      f'" data-stale="{n}" data-blocks="{len(flags)}">'
                      f'{_count(n, len(flags), "of this page", "이 페이지의")}'
                      + (' <a href="#twin-stale-1">→</a>' if n else '') + '</p>')
    if book is not None:
        stale = sum(s for _, s, _ in book)
        blocks = sum(b for _, _, b in book)
        where = ', '.join(f'<a href="{page}#twin-stale-1"><code>'
                          f'{page[:-5]}.md</code></a> ({s})'
                          for page, s, _ in book if s)
        status.append(f'<p class="twin-status twin-book'
                      f'{" twin-status-stale" if stale else ""}" '
                      f'data-stale="{stale}" data-blocks="{blocks}">'
                      f'{_count(stale, blocks, "of the book", "책 전체의")}'
                      + (f': {where}' if where else '') + '</p>')
    if status:
        anchor = (select_one(soup, '.notebook-downloads') or
                  select_one(soup, 'h1'))
        for html in reversed(status):
            element = BeautifulSoup(html, 'html.parser')
            if anchor is not None:
                anchor.insert_after(element)
            else:
                soup.body.insert(0, element)
    soup.body['data-twins'] = stamp(state)


def rewrite_page(soup):
    # Font Awesome (2.6 MB of fonts) draws two arrows; Material Icons has them.
    for link in select(soup, 'link[href$="fontawesome/all.css"]'):
        _remove(link)
    for icon, name in (('fa-arrow-left', 'arrow_back'),
                       ('fa-arrow-right', 'arrow_forward')):
        for i in select(soup, f'i.{icon}'):
            i['class'] = [c for c in i['class'] if not c.startswith('fa')] + \
                ['material-icons']
            i.string = name
    for div in select(soup, 'div.container.en, div.container.ko'):
        div['lang'] = 'en' if 'en' in div['class'] else 'ko'
    # Sphinx numbers references in English; the Korean twin says it in Korean.
    for ref in select(soup, 'div.container.ko span.std-numref'):
        ref.string = KO_NUMREF.sub(_ko_numref, ref.get_text())
    # A caption's number ("Fig. 1.1.1 ") sits outside both languages.
    for number in select(soup, 'span.caption-number'):
        if number.find(attrs={'lang': True}) is None:
            split_caption_number(number)
    split_search_texts(soup)
    # A placeholder cannot hold two <span>s: book.js shows the mode's one.
    for field in select(soup, 'input[placeholder]'):
        label = field['placeholder']
        if label in UI_LABELS and not field.has_attr('data-placeholder-ko'):
            field['data-placeholder-en'] = UI_ENGLISH.get(label, label)
            field['data-placeholder-ko'] = UI_LABELS[label]
    for text in soup.body.find_all(string=lambda s: SEP in s):
        if text.parent is not None and _splittable(text):
            split_bilingual(soup, text.parent)
    for text in soup.body.find_all(string=lambda s: s.strip() in UI_LABELS):
        if _splittable(text):
            label = text.strip()
            new = BeautifulSoup(text.replace(
                label, _both(UI_ENGLISH.get(label, label), UI_LABELS[label])),
                'html.parser')
            text.replace_with(*list(new.children))
    title = soup.title
    if title is not None and not title.has_attr('data-both'):
        text = title.get_text()
        page, _, book = text.partition(' — ')
        if page == book:  # the front page: "<book> — <book>"
            text = title.string = page
        title['data-both'] = text
        title['data-en'] = pick(text, 'en')
        title['data-ko'] = pick(text, 'ko')
    # The theme's second header row holds config.ini's [html] header_links;
    # without any it is an empty band, 64 px of a phone's screen.
    for row in select(soup, 'div.mdl-layout__header-row.header-links'):
        if not row.select('a'):
            _remove(row)
    header = select_one(soup, 'header.mdl-layout__header nav.mdl-navigation'
                             ':not(.breadcrumb)')
    if header is not None and not select_one(soup, '.lang-switch'):
        header.insert(0, BeautifulSoup(SWITCH, 'html.parser'))
        header.insert(1, BeautifulSoup(THEME_SWITCH, 'html.parser'))
    fix_theme_markup(soup)


def split_caption_number(number):
    """`Fig. 1.1.1 ` -> `Fig. 1.1.1` in English, `그림 1.1.1` in Korean,
    both in both modes (the pattern of the theme's words)."""
    text = number.get_text()
    label = text.strip()
    if not KO_NUMREF.match(label):
        return
    number.clear()
    number.append(BeautifulSoup(
        _both(label, KO_NUMREF.sub(_ko_numref, label)) +
        text[len(text.rstrip()):], 'html.parser'))


def split_search_texts(soup):
    """The search page's English sentences, in both languages."""
    for text in soup.body.find_all(string=lambda s: s.strip().startswith(
            tuple(SEARCH_TEXTS))):
        if not _splittable(text):
            continue
        start = next(k for k in SEARCH_TEXTS if text.strip().startswith(k))
        english, korean = SEARCH_TEXTS[start]
        if ' '.join(text.split()) != english:
            continue  # another Sphinx's wording: leave it for the tests
        text.replace_with(*BeautifulSoup(_both(english, korean),
                                         'html.parser').contents)


def fix_theme_markup(soup):
    """What the theme writes that is not valid HTML or not accessible, and
    the skip link to the page's text."""
    # Sphinx and the theme both write <meta charset>: one is allowed.
    for meta in select(soup, 'meta[charset]')[1:]:
        _remove(meta)
    # The previous/next links carry role="botton" (sic): links, no role.
    for link in select(soup, 'a[role="botton"]'):
        del link['role']
    # The theme writes the drawer twice; the copy inside <main> is never
    # shown, but its links take the keyboard's focus where no one sees it.
    for drawer in select(soup, 'main > header.mdl-layout__drawer'):
        _remove(drawer)
    # The text is the <main> landmark already; a second "main" inside it
    # confuses screen readers. The skip link lands on it.
    content = select_one(soup, 'div.page-content')
    if content is not None:
        if content.get('role') == 'main':
            del content['role']
        content['id'] = 'content'
        content['tabindex'] = '-1'
        if soup.body is not None and not select_one(soup, 'a.skip-link'):
            soup.body.insert(0, BeautifulSoup(SKIP_LINK, 'html.parser'))


def _remove(tag):
    """Remove `tag` and the line break before it, so that a second run
    writes the same bytes."""
    before = tag.previous_sibling
    if isinstance(before, NavigableString) and not before.strip():
        before.extract()
    tag.decompose()


def _splittable(text):
    """Not code, not already split, and in a `::: en`/`::: ko` block only
    inside an inline element."""
    parents = list(text.parents)
    if any(p.name in SKIP or 'lang-sep' in p.get('class', ()) or
           p.has_attr('lang') and p.name == 'span' for p in parents):
        return False
    in_block = any(p.name == 'div' and p.has_attr('lang') for p in parents)
    return not in_block or text.parent.name in INLINE


def _text(node):
    return str(node) if isinstance(node, NavigableString) else node.get_text()


def _neutral(node):
    """Section numbers and permalinks belong to neither language."""
    if isinstance(node, NavigableString):
        return not node.strip()
    classes = node.get('class', ())
    return 'section-number' in classes or 'headerlink' in classes


def split_bilingual(soup, element):
    """`Title / 제목` inside `element` -> `<span lang="en">Title</span><span
    class="lang-sep"> / </span><span lang="ko">제목</span>`. Leaves anything
    else (no Hangul after the slash, two slashes, ...) as it is."""
    kids = list(element.children)
    start, end = 0, len(kids)
    while start < end and _neutral(kids[start]):
        start += 1
    while end > start and _neutral(kids[end - 1]):
        end -= 1
    body = kids[start:end]
    if not body:
        return
    text = ''.join(_text(k) for k in body)
    if text.count(SEP) != 1:
        return
    english, korean = text.split(SEP)
    if HANGUL.search(english) or not HANGUL.search(korean):
        return
    first = body[0]
    m = NUMBER.match(first) if isinstance(first, NavigableString) else None
    if m and SEP not in m.group(0):  # a plain-text "1.2. " stays outside
        body[0] = NavigableString(str(first)[m.end():])
        first.replace_with(m.group(0), body[0])
    at = next((i for i, k in enumerate(body)
               if isinstance(k, NavigableString) and SEP in k), None)
    if at is None:  # the separator is inside a child element
        return
    before, after = str(body[at]).split(SEP)
    en = soup.new_tag('span', lang='en')
    ko = soup.new_tag('span', lang='ko')
    sep = soup.new_tag('span', attrs={'class': 'lang-sep'})
    sep.string = SEP
    body[at].replace_with(sep)
    for node in body[:at]:
        en.append(node.extract())
    if before:
        en.append(before)
    if after:
        ko.append(after)
    for node in body[at + 1:]:
        ko.append(node.extract())
    sep.insert_before(en)
    sep.insert_after(ko)


def pick(text, lang):
    """One language of a plain text such as a page title: each `English /
    한국어` part between ' — ' or ' > ' keeps one side, and the theme's
    words are translated."""
    parts = re.split(r'( — | > )', text)
    for n, part in enumerate(parts):
        m = NUMBER.match(part)
        number, rest = (m.group(0), part[m.end():]) if m else ('', part)
        if rest.count(SEP) == 1:
            english, korean = rest.split(SEP)
            if not HANGUL.search(english) and HANGUL.search(korean):
                parts[n] = number + (english if lang == 'en' else korean)
        elif part in UI_LABELS and lang == 'ko':  # "Search — ..."
            parts[n] = UI_LABELS[part]
    return ''.join(parts)


# --- only ship what pages use ----------------------------------------------

REF_HTML = re.compile(r'\b(?:src|href)="([^"]+)"')
REF_CSS = re.compile(r'url\(\s*[\'"]?([^\'")]+)|@import\s+[\'"]([^\'"]+)')
MAP_COMMENT = re.compile(r'\n?/[/*]# sourceMappingURL=\S+(?: \*/)?\s*$')


def _local(ref, base):
    ref = ref.strip()  # the theme writes src="...theme.js "; browsers trim it
    if re.match(r'[a-z][a-z0-9+.-]*:|//|#', ref, re.I):  # remote, data:, ...
        return None
    return (base / ref.split('#')[0].split('?')[0]).resolve()


PAGE_LINKS = BOOK.cache / 'page-links.json'


def page_links(html_dir):
    """Every file under _static/ that the pages link to (the only links
    prune_static looks at: each page's sidebar also links every other page,
    and resolving those grew with the square of the book: only links that
    name `_static/` are resolved). A page unchanged since the last build
    (same stat) is not read again: its links are recorded."""
    html_dir = pathlib.Path(html_dir).resolve()
    static = html_dir / '_static'
    try:
        record = json.loads(PAGE_LINKS.read_text(encoding='utf-8'))
        if not isinstance(record, dict):
            record = {}
    except (FileNotFoundError, ValueError):
        record = {}
    new, found = {}, set()
    for page in pages(html_dir):
        name = page.relative_to(html_dir).as_posix()
        mark = stat_key(page)
        old = record.get(name)
        if isinstance(old, list) and len(old) == 2 and old[0] == mark:
            links = old[1]
        else:
            text = page.read_text(encoding='utf-8', errors='replace')
            links = sorted({os.path.relpath(t, html_dir) for m in
                            REF_HTML.finditer(text)
                            if '_static/' in m.group(1)
                            and (t := _local(m.group(1), page.parent))
                            and t.is_relative_to(static)})
        new[name] = [mark, links]
        found.update(links)
    write_atomic(PAGE_LINKS, json.dumps(new))
    return {(html_dir / link).resolve() for link in found}


def prune_static(html_dir):
    """Delete every file under _static/ that no page needs: what pages link,
    what those stylesheets link, and the license files beside kept files.
    Scripts load nothing more: search.html links searchtools.js and the index,
    and the MathJax build is complete."""
    static = (html_dir / '_static').resolve()
    todo = []
    keep, referenced = set(), set()

    def follow(targets):
        for target in targets:
            referenced.add(target)
            if target.is_file() and target not in keep:
                keep.add(target)
                if target.suffix == '.css':
                    todo.append(target)

    follow(page_links(html_dir))
    while todo:
        path = todo.pop()
        text = path.read_text(encoding='utf-8', errors='replace')
        follow(t for m in REF_CSS.finditer(text)
               if (t := _local(next(g for g in m.groups() if g), path.parent)))
    keep |= {p.resolve() for k in keep for p in k.parent.glob('LICENSE*')}
    missing = sorted(str(target.relative_to(static)) for target in referenced
                     if target.is_relative_to(static) and not target.exists())
    record = STATIC_RECORD
    if missing:  # a list of kept files out of date: copy everything next time
        record.unlink(missing_ok=True)
        # Without its saved state Sphinx rewrites every page and copies every
        # static file; with no page out of date, it would copy none.
        shutil.rmtree(BOOK.doctrees('html'),
                      ignore_errors=True)
        raise BookError(f'{", ".join(missing)}: linked from the pages but not '
                        'copied by Sphinx — run `make html` again')
    write_atomic(record, json.dumps({
        'key': _static_key(),
        'files': sorted(str(p.relative_to(static)) for p in keep
                        if p.is_relative_to(static))}, indent=1))
    for path in sorted(static.rglob('*'), reverse=True):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    # The source maps are gone; their comments would point at nothing.
    for path in keep:
        if path.suffix in ('.js', '.css') and path.is_relative_to(static):
            text = path.read_text(encoding='utf-8', errors='replace')
            # (The word first: the pattern alone scans MathJax's 2 MB slowly.)
            if '# sourceMappingURL=' in text and MAP_COMMENT.search(text):
                write_atomic(path, MAP_COMMENT.sub('\n', text))
