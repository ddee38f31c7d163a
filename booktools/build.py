"""Build the book: check config, evaluate notebooks, render with d2lbook.

    python -m booktools.build html

d2lbook does the rendering (Markdown -> reST -> Sphinx). This wrapper adds what
the book needs on top: config validation, the cached evaluation step
(booktools.execute), outputs shown verbatim, Sphinx warnings reported against
the Markdown source, and a check that no local path reached the pages.
"""
import hashlib
import os
import pathlib
import re
import shutil
import sys
import tempfile

from booktools import (BookError, ROOT, config, die_with_parent, execute,
                       keep_compiled_templates, notebook_sources, notebooks,
                       read_entry, write_entry)

BUILD = ROOT / '_build'
RST_DIR = BUILD / 'rst'
HTML_DIR = BUILD / 'html'
# `make html`'s target. It gets the build's start time (that of START), so a
# source saved during a build is newer and the next `make html` builds again.
START = BUILD / '.html-start'
DONE = HTML_DIR / '.done'
LOCK = BUILD / '.lock'


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
    folder = BUILD / 'cache' / 'pandoc'

    def cached(source, from_format, to_format, extra_args=None):
        key = hashlib.sha256(repr((get_pandoc_version(), from_format,
                                   to_format, extra_args, source)).encode())
        path = folder / key.hexdigest()
        result = read_entry(path)
        if result is None:
            result = convert(source, from_format, to_format, extra_args)
            write_entry(path, result)
        return result
    return cached


def _patch_d2lbook():
    import d2lbook.rst
    from nbconvert.exporters import templateexporter
    if not getattr(d2lbook.rst.convert_notebook, 'booktools', False):
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
        return keep_compiled_templates(create(self), BUILD)
    return created


def rendering_digest():
    """What reST depends on besides the notebooks: this file, the pinned
    converters (pandoc, nbconvert, d2lbook) and Python."""
    return hashlib.sha256(pathlib.Path(__file__).read_bytes() +
                          (ROOT / 'requirements.txt').read_bytes() +
                          (ROOT / 'constraints.txt').read_bytes() +
                          sys.version.encode()).hexdigest()


def _invalidate_stale_rst():
    """reST made by older converters is rebuilt, not reused."""
    digest = rendering_digest()
    stamp = RST_DIR / '.booktools-digest'
    if not stamp.exists() or stamp.read_text() != digest:
        shutil.rmtree(RST_DIR, ignore_errors=True)
        RST_DIR.mkdir(parents=True)
        stamp.write_text(digest)


def render_rst():
    """d2lbook's rst step; evaluation is already up to date, so it only renders."""
    import logging
    _patch_d2lbook()
    _invalidate_stale_rst()
    from d2lbook.build import Builder
    from d2lbook.config import Config
    logging.disable(logging.INFO)  # d2lbook narrates every file it copies
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        builder = Builder(Config())
        # booktools.execute has evaluated everything: d2lbook's own eval
        # (which knows nothing of #@expect_error) must not run again, even
        # if a source was saved during this build.
        builder.done['eval'] = True
        builder.rst()
    finally:
        os.chdir(cwd)
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
    ('not included in any toctree', 'list it in the toc block of index.md'),
    ('number is not assigned', 'label a section that is in the numbered '
     'toc of index.md'),
    ('Unknown target name', 'this reST markup came from the Markdown: '
     'escape it or put it in backticks'),
]


def source_location(rst_file, msg):
    """Map a warning on `_build/rst/x.rst` to `x.md` and, if possible, a line."""
    path = pathlib.Path(rst_file)
    try:
        relative = path.resolve().relative_to(RST_DIR.resolve())
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


def sphinx(builder, outdir):
    """Sphinx in this process (no second interpreter start-up); every
    warning fails the build and is reported against the Markdown source."""
    import io
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.console import nocolor
    nocolor()  # plain text, so warnings can be read and mapped
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    warnings = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with patch_docutils(RST_DIR), docutils_namespace():
            app = Sphinx(str(RST_DIR), str(RST_DIR), str(outdir),
                         str(BUILD / 'doctrees' / builder), builder,
                         status=None,
                         warning=warnings, warningiserror=True,
                         keep_going=True)
            app.build()
            failed = app.statuscode != 0
    except SphinxError as e:
        failed = True
        warnings.write(f'\n{e}\n')
    finally:
        os.chdir(cwd)
    if failed or warnings.getvalue().strip():
        problems = explain_sphinx(warnings.getvalue())
        raise BookError('\n'.join(problems) if problems else
                        f'Sphinx failed:\n{warnings.getvalue()}')


def remove_stale_pages():
    """Pages whose source is gone (Sphinx never deletes them)."""
    generated = {'genindex.html', 'search.html', 'py-modindex.html'}
    for page in HTML_DIR.rglob('*.html'):
        relative = page.relative_to(HTML_DIR)
        if relative.parts[0] in ('_static', '_images', notebooks.IN_HTML):
            continue
        if (str(relative) not in generated and
                not (RST_DIR / relative.with_suffix('.rst')).exists()):
            page.unlink()


def check_no_local_paths(folder):
    """Pages and notebooks must not carry the build machine's paths."""
    needles = {str(ROOT), sys.prefix, os.path.realpath(sys.prefix),
               tempfile.gettempdir() + '/'}
    home = os.path.expanduser('~')
    if home not in ('/', ''):
        needles.add(home + '/')
    for path in sorted(folder.rglob('*')):
        if path.suffix not in ('.html', '.ipynb', '.js', '.txt', '.tex'):
            continue
        text = path.read_text(encoding='utf-8', errors='replace')
        for needle in needles:
            if needle in text:
                raise BookError(f'{os.path.relpath(path, ROOT)}: contains the '
                                f'local path {needle!r} — an output printed '
                                'it; print something path-free instead')


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


def _timed(timings, name, step):
    import time
    start = time.perf_counter()
    step()
    timings[name] = round(time.perf_counter() - start, 3)


def _render(conn, other_end, parent):
    """The rendering process: warm up, then on `render` run Sphinx, on
    `finalize` post-process the pages; report timings or the problem."""
    import traceback
    # A build that dies takes this process along, even in the middle of
    # Sphinx; while it waits, it would read the end of the pipe anyway.
    die_with_parent(parent)
    other_end.close()
    timings = {}
    try:
        warm_imports()
        from booktools import site
        if conn.recv() != 'render':
            return
        _timed(timings, 'sphinx', lambda: (
            finish_conf(RST_DIR / 'conf.py', site.CONF_OVERRIDES),
            sphinx('html', HTML_DIR)))
        _timed(timings, 'stale', remove_stale_pages)
        if conn.recv() != 'finalize':
            return
        _timed(timings, 'finalize', lambda: site.finalize(HTML_DIR))
        conn.send(('ok', timings))
    except BookError as e:
        conn.send(('error', str(e)))
    except BaseException:
        conn.send(('crash', traceback.format_exc()))


class Renderer:
    """Sphinx in a second process, forked as the build starts. It spends the
    first half second importing Sphinx and the post-processing while this
    process imports d2lbook and evaluates: the two start-ups share the two
    cores instead of following each other."""

    def __init__(self):
        import multiprocessing
        context = multiprocessing.get_context('fork')
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_render, daemon=True,
                                       args=(child, self.conn, os.getpid()))
        self.process.start()
        child.close()

    def send(self, command):
        try:
            self.conn.send(command)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it stopped early; result() reads why

    def result(self):
        try:
            kind, value = self.conn.recv()
        except EOFError:
            self.process.join()
            raise BookError('the Sphinx process ended without a result (exit '
                            f'code {self.process.exitcode}) — run `make html` '
                            'again; if it repeats, report it')
        self.process.join()
        if kind == 'error':
            raise BookError(value)
        if kind == 'crash':
            raise RuntimeError(f'rendering failed:\n{value}')
        return value

    def close(self):
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def one_build_at_a_time():
    """Hold _build/.lock for the whole build: a `make html` started while
    `make serve` rebuilds waits for it instead of writing the same files."""
    import fcntl
    BUILD.mkdir(parents=True, exist_ok=True)
    lock = open(LOCK, 'w')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print('waiting for another build of this book (make serve?) '
              'to finish', flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def html(argv=(), done=None):
    """The build; `done` is what to print at its end ('' for nothing: make
    serve prints the page's URL instead of the folder to open)."""
    import json
    timings = {}
    # Taken first, so that the renderer holds it too for as long as it lives.
    lock = one_build_at_a_time()
    START.touch()
    renderer = Renderer()
    try:
        _timed(timings, 'config', config.check)
        _timed(timings, 'eval', execute.main)
        _timed(timings, 'rst', render_rst)
        renderer.send('render')
        # Meanwhile, here: the notebooks the pages link to.
        _timed(timings, 'notebooks', lambda: notebooks.export(
            HTML_DIR / notebooks.IN_HTML))
        renderer.send('finalize')
        timings.update(renderer.result())
    finally:
        renderer.close()
    _timed(timings, 'check', lambda: (check_no_local_paths(HTML_DIR),
                                      check_no_local_paths(execute.EVAL_DIR)))
    # For `make bench`, which reports Sphinx's share of a build.
    (BUILD / 'timings.json').write_text(json.dumps(timings))
    # Stamped in one step: `make serve`'s pages reload when it changes.
    stamp = DONE.with_name('.done.tmp')
    stamp.touch()
    start = START.stat()
    os.utime(stamp, ns=(start.st_atime_ns, start.st_mtime_ns))
    os.replace(stamp, DONE)
    lock.close()
    if done is None:
        done = (f'[html] done: open {os.path.relpath(HTML_DIR, ROOT)}'
                '/index.html')
    if done:
        print(done, flush=True)


COMMANDS = {'html': html}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        raise BookError(f'usage: python -m booktools.build '
                        f'{{{",".join(COMMANDS)}}}')
    COMMANDS[argv[0]](argv[1:])


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
