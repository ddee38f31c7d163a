"""Shared helpers: the tests read what `make html` built under _build/."""
import os
import pathlib
import re
import subprocess
import sys

import pytest
from playwright.sync_api import sync_playwright

from booktools.book import copy_book  # noqa: F401  (tests import it here)
from booktools.langs import HANGUL  # noqa: F401  (the one Hangul pattern)
from booktools.layout import BOOK, Layout  # noqa: F401  (every _build path)
from booktools.nbfast import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVAL = BOOK.eval
HTML = BOOK.html
CHAPTERS = sorted(p.stem for p in (ROOT / 'chapters').glob('*.md'))


def evaluated(chapter):
    """The evaluated notebook `_build/eval/chapters/<chapter>.ipynb`."""
    path = EVAL / 'chapters' / f'{chapter}.ipynb'
    assert path.exists(), f'{path} missing: run `make html` first'
    return nbformat.read(path, as_version=4)


def cell(nb, cell_id):
    """The code cell fenced as ```{.python .input #cell_id}."""
    found = [c for c in nb.cells if c.cell_type == 'code' and
             c.metadata.get('attributes', {}).get('id') == cell_id]
    assert len(found) == 1, f'expected one cell #{cell_id}, found {len(found)}'
    return found[0]


def text(c):
    """Everything a code cell printed or returned, as one string."""
    parts = []
    for out in c.outputs:
        if out.output_type == 'stream':
            parts.append(out.text)
        elif 'data' in out and 'text/plain' in out.data:
            parts.append(out.data['text/plain'])
        elif out.output_type == 'error':
            parts.append(f'{out.ename}: {out.evalue}')
    return '\n'.join(parts)


def book_env(book):
    """What a command run in a copy of the book sees: the venv's tools
    (pandoc) on PATH, and a home of its own."""
    return {'PATH': f'{pathlib.Path(sys.executable).parent}:/usr/bin:/bin',
            'HOME': str(book.parent / 'home')}


def build(book, *args):
    """`python -m booktools.build html` in another copy of the book."""
    return subprocess.run([sys.executable, '-m', 'booktools.build', 'html',
                           *args], cwd=book, capture_output=True, text=True,
                          env=book_env(book))


def processes_running(path):
    """Pids whose command line mentions `path` (forked kernels keep the
    zygote's command line) or whose working folder is inside it."""
    found = []
    import os
    for proc in pathlib.Path('/proc').iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / 'cmdline').read_bytes()
            cwd = os.readlink(proc / 'cwd')
        except OSError:
            continue
        if str(path).encode() in cmdline or cwd.startswith(str(path)):
            found.append(int(proc.name))
    return found


def processes_left(path, seconds=10):
    """processes_running(path) once none is left, or after `seconds`: a
    killed process's helpers take a moment to notice and go."""
    import time
    deadline = time.monotonic() + seconds
    while (found := processes_running(path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


# --- two workers --------------------------------------------------------------
# `make test` runs the suite on two workers (pytest-xdist, --dist loadgroup),
# each group of tests on one worker. Most tests read what `make html` built,
# or build a copy of the book of their own under tmp_path. Those that write
# under the book's own _build/ (the PDFs, the screenshots, `make serve` on
# the book), or check that nothing there changed, would race each other:
# they are one group, which runs one test after the other. A test is in it
# when it is marked `built_book` or uses a fixture that writes there. Every
# other test is grouped with its module, so that a module's fixtures (a
# browser, a built copy of the book) are made once, not once per worker.
BUILT_BOOK_FIXTURES = {'pdfs', 'server'}
BUILT_BOOK = 'built-book'


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        shares = item.get_closest_marker('built_book') or \
            BUILT_BOOK_FIXTURES & set(getattr(item, 'fixturenames', ()))
        item.add_marker(pytest.mark.xdist_group(
            BUILT_BOOK if shares else item.path.name))


@pytest.fixture(scope='session', autouse=True)
def export_records(tmp_path_factory):
    """An export keeps its record under the book's _build/cache, keyed on
    where it exported to: the tests' exports (into tmp_path) keep theirs in
    a folder of this worker's, not in the built book the other reads."""
    from booktools import notebooks
    folder = tmp_path_factory.mktemp('export-records')
    book_record = notebooks.record_path
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notebooks, 'record_path',
                      lambda dest: folder / book_record(dest).name)
        yield folder


@pytest.fixture
def book(tmp_path):
    return copy_book(tmp_path / 'book')


# --- Sphinx on the built book, writing only under tmp_path -----------------


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A Sphinx application on the built book's environment, loaded as a
    build would load it (nothing is built or written but under tmp_path)."""
    import shutil
    from booktools import quiz, render, site
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    # What a test's Sphinx would write goes under tmp_path: the saved
    # environment and doctrees (a copy), the records of the quiz check and
    # of the twins' flags, and what render.py keeps.
    monkeypatch.setattr(render, 'DOC_PARTS', tmp_path / 'parts.json')
    monkeypatch.setattr(render, 'NAVIGATION_WRITTEN',
                        tmp_path / 'navigation-written')
    monkeypatch.setattr(render, 'SELF_CONTAINED',
                        tmp_path / 'self-contained.json')
    monkeypatch.setattr(render, '_PARTS', {})
    monkeypatch.setattr(quiz, 'RECORD', str(tmp_path / 'quiz.json'))
    monkeypatch.setattr(site, 'TWIN_FLAGS', tmp_path / 'twin-flags.json')
    assert (BOOK.doctrees('html') / 'environment.pickle').exists(), \
        'run `make html` first'
    doctrees = tmp_path / 'doctrees'
    shutil.copytree(BOOK.doctrees('html'), doctrees)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with patch_docutils(BOOK.rst), docutils_namespace():
            app = Sphinx(str(BOOK.rst), str(BOOK.rst), str(tmp_path / 'out'),
                         str(doctrees), 'html', status=None, warning=None)
            yield app
    finally:
        os.chdir(cwd)


def sphinx_pages(app, tmp_path, monkeypatch):
    """Every page of the book as Sphinx writes it, before finalize, under
    tmp_path/out; the book's own _build/ is left as it was."""
    from booktools import render
    render.patch_sphinx()
    monkeypatch.setattr(render, 'NAVIGATION', tmp_path / 'navigation')
    before = {p: p.stat().st_mtime_ns for p in BOOK.build.rglob('*')}
    app.builder.build_all()
    assert {p: p.stat().st_mtime_ns for p in BOOK.build.rglob('*')} == before
    out = tmp_path / 'out'
    pages = sorted(out.rglob('*.html'))
    assert len(pages) >= len(list((ROOT / 'chapters').glob('*.md'))) + 3
    return out, pages


# --- a browser (Debian's Chromium through Playwright) ----------------------

CHROMIUM = '/usr/bin/chromium'
ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
        '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run']


@pytest.fixture(scope='module')
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.fail(f'{CHROMIUM} missing: apt-get install chromium')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Visit:
    """A fresh browser context that blocks and records foreign requests,
    and records failed local requests and console errors."""

    def __init__(self, browser, allowed, **options):
        self.allowed = allowed
        self.foreign, self.failed, self.errors = [], [], []
        self.context = browser.new_context(**options)
        self.context.route(re.compile('.*'), self._route)
        self.page = self.context.new_page()
        self.page.on('request', self._request)
        self.page.on('requestfailed', lambda r: self.allowed(r.url) and
                     self.failed.append(f'{r.url} {r.failure}'))
        self.page.on('console', lambda m: m.type == 'error' and
                     self.errors.append(m.text))
        self.page.on('pageerror', lambda e: self.errors.append(str(e)))

    def _route(self, route):
        if self.allowed(route.request.url):
            route.continue_()
        else:
            route.abort()

    def _request(self, request):
        if not self.allowed(request.url):
            self.foreign.append(request.url)

    def open(self, url):
        self.page.goto(url)
        self.settle()

    def settle(self):
        self.page.wait_for_load_state('load')
        # MathJax typesets after load; wait until it has finished.
        self.page.evaluate('() => window.MathJax && MathJax.startup && '
                           'MathJax.startup.promise')
        self.page.wait_for_timeout(100)

    def assert_clean(self):
        assert not self.foreign, f'requests to other hosts: {self.foreign}'
        assert not self.failed, f'failed requests: {self.failed}'
        assert not self.errors, f'console errors: {self.errors}'

    def close(self):
        self.context.close()


def local_file(url):
    return url.startswith(('file:///', 'data:', 'blob:', 'about:'))


@pytest.fixture
def visit(browser):
    visits = []

    def make(allowed=local_file, **options):
        visits.append(Visit(browser, allowed, **options))
        return visits[-1]
    yield make
    for v in visits:
        v.close()
