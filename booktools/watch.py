"""Rebuild the book each time a source is saved (the loop `make serve` runs).

A rebuild is the same build as `make html`, forked from this process, which
imported d2lbook, nbconvert and Sphinx once when it started: a prose edit
then costs the conversion and Sphinx's work, not a second of imports. Each
build is a fresh fork, so nothing one build changes leaks into the next.

A change to the build's own code or pins cannot be picked up by a fork of
old code: the loop restarts itself through `make serve`, which reinstalls the
environment if the pins changed, after checking that the new code compiles.

Saves are noticed through watchfiles (inotify on Linux), which watches the
folders the sources are in, each without its subfolders (so `_build/` is
not watched). An event only wakes the loop: what changed is decided, as
before, by comparing the sources' (mtime, size) with the last build's, so an
event lost or merged never loses a save, and one saved while a build runs
is still pending when it ends, and is built next.
"""
import logging
import os
import signal
import sys
import time
import traceback

import watchfiles

from booktools import BookError, ROOT
from booktools.layout import BOOK, write_atomic
from booktools.lifetime import die_with_parent

# What `make html` depends on (SOURCES in the Makefile; a test keeps the two
# lists the same). A change to CONTENT is rebuilt by a fork of this process;
# a change to TOOLS restarts it.
CONTENT = ['config.ini', 'index.md', 'chapters/*.md', 'img/*', 'TWINS.tsv']
TOOLS = ['booktools/*.py', 'booktools/static/*', 'requirements.txt',
         'constraints.txt', 'requirements-lock.txt', 'Makefile']
# The folders that hold the sources, each watched without its subfolders.
FOLDERS = sorted({os.path.dirname(p) or '.' for p in CONTENT + TOOLS})
# An editor may write a file in several steps: a save counts as done once
# no source changed for STEP milliseconds (watchfiles' step and timeout).
STEP = 50
# While the last build by this loop failed, what it said (`file:line:
# problem — fix`): booktools.serve shows it over the served pages.
FAILED = BOOK.serve_failed


def hidden(name):
    """Editors' swap files (`.x.md.swp`): not sources; make skips them too."""
    return name.startswith('.')


def is_source(path):
    """True when `path` (relative to the book, with /) is or would be a
    source: a file the patterns of CONTENT or TOOLS match."""
    from fnmatch import fnmatchcase
    if hidden(os.path.basename(path)):
        return False
    return any(fnmatchcase(path, pattern) and
               path.count('/') == pattern.count('/')
               for pattern in CONTENT + TOOLS)


def snapshot(patterns):
    """{path: (mtime, size)} of every file the patterns match now."""
    found = {}
    for pattern in patterns:
        for path in ROOT.glob(pattern):
            if hidden(path.name):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # deleted while we looked
                continue
            if path.is_file():
                found[path.relative_to(ROOT).as_posix()] = (st.st_mtime_ns,
                                                            st.st_size)
    return found


class Saves:
    """The saves of sources, as watchfiles reports them; wait() returns
    once a source was saved and saving has stopped."""

    def __init__(self):
        logging.getLogger('watchfiles').setLevel(logging.WARNING)
        self.events = None
        self.pending = set()
        self.open()

    def open(self):
        """(Re)start watching the folders that exist now; watching has
        begun when this returns."""
        if self.events is not None:
            self.events.close()
        self.folders = [f for f in FOLDERS if (ROOT / f).is_dir()]
        self.events = watchfiles.watch(
            *(ROOT / f for f in self.folders), watch_filter=self.wanted,
            recursive=False, step=STEP, rust_timeout=STEP,
            yield_on_timeout=True)
        self.pending |= self.paths(next(self.events))

    @staticmethod
    def paths(changes):
        return {os.path.relpath(path, ROOT).replace(os.sep, '/')
                for _, path in changes}

    def wanted(self, change, path):
        """A source, or a folder of sources made or removed."""
        path = os.path.relpath(path, ROOT).replace(os.sep, '/')
        return is_source(path) or path in FOLDERS

    @staticmethod
    def recent(paths):
        """True when one of these files was modified less than STEP ms ago."""
        now = time.time_ns()
        for path in paths:
            try:
                mtime = os.stat(ROOT / path).st_mtime_ns
            except OSError:  # removed since, or a folder's name
                continue
            if now - mtime < STEP * 1_000_000:
                return True
        return False

    def settle(self):
        """Wait until no source was saved for STEP milliseconds."""
        for changes in self.events:
            if not changes:
                return
            self.pending |= self.paths(changes)

    def wait(self):
        """Block until a source is saved, then until saving stopped; the
        paths saved (a hint: compare snapshots to know what changed).
        watchfiles yields STEP ms after the first event of a file, even if
        the file is still being written (a later write of the same file is
        not a new change to it): when a saved file was modified less than
        STEP ms before, saving may go on, and it waits until no source
        changed for STEP ms. Otherwise (an editor's save is one write, long
        done by then) it does not wait again, which cost every rebuild 50 ms."""
        while not self.pending:
            self.pending |= self.paths(next(self.events))
        if self.recent(self.pending):
            self.settle()
        saved, self.pending = self.pending, set()
        if saved & set(FOLDERS) or self.folders != [
                f for f in FOLDERS if (ROOT / f).is_dir()]:
            self.open()  # a watched folder was made or removed
        return saved

    def close(self):
        self.events.close()


def is_stale(files):
    """True when `make html` would build: a source is newer than the stamp."""
    try:
        done = BOOK.done.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    return any(mtime > done for mtime, _ in files.values())


def warm():
    """Import, once, what every build would otherwise import again, and do
    the first-use work that compiles something once per process."""
    from booktools import execute, render, site
    from booktools.book import notebook_sources
    from booktools.nbfast import nbformat
    render.warm_imports(('d2lbook.build', 'd2lbook.config', 'd2lbook.rst',
                         *render.WARM))
    import docutils.core
    from pygments.lexers import PythonLexer
    sources = notebook_sources()
    if sources:  # notedown's parser, nbformat's schema validators (the
        # strict one and the relaxed one nbconvert checks its input with)
        try:
            nb = execute.read_source(sources[0])[0]
            nbformat.reads(nbformat.writes(nb), as_version=4)
            nbformat.validate(nb, relax_add_props=True)
        except Exception:  # noqa: BLE001  only time is at stake; the build
            pass           # itself reports what is wrong with the source
    list(PythonLexer().get_tokens('x = [1]\n'))  # its token tables
    docutils.core.publish_doctree(  # docutils' reST patterns
        'Title\n=====\n\n*a* ``b`` :math:`c`\n\n- d\n\n.. code:: python\n\n'
        '   e = 1\n', settings_overrides={'report_level': 5})
    site.warm()  # Beautiful Soup's tables, the pages' selectors
    # What was imported stays: the collector need not walk it again in
    # every build forked from here (it walked the whole inherited heap on
    # every collection, and touched its pages, costing a rebuild of a large
    # book a few tenths of a second).
    import gc
    gc.collect()
    gc.freeze()


def failed(message):
    """Record the message of a failed build for the served pages."""
    write_atomic(FAILED, message.rstrip() + '\n')


def build_once():
    """Run one `make html` build in a fork; True if it succeeded."""
    from booktools import build
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            die_with_parent(parent)
            # Not serve's handler (which exits by raising): a `kill` of serve
            # ends this build at once, as SIGKILL would, its helpers and
            # kernels with it (die_with_parent), instead of unwinding while
            # the process pool waits for the running cell to end.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            build.html(done='')  # rebuild() says where to look
            code = 0
        except BookError as e:
            print(f'error: {e}', file=sys.stderr)
            failed(str(e))
        except KeyboardInterrupt:
            code = 130
        except BaseException as e:
            traceback.print_exc()
            failed(f'the build crashed: {type(e).__name__}: {e} — the '
                   'terminal running make serve shows the traceback; '
                   'report it')
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    try:
        _, status = os.waitpid(pid, 0)
    except BaseException:  # Ctrl+C or SIGTERM: stop the build, then go
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        raise
    return os.waitstatus_to_exitcode(status) == 0


def page_url(base, changed):
    """The URL of the first changed source that is a page, else the book's."""
    for path in sorted(changed):
        if path.endswith('.md'):
            return base + path[:-3] + '.html'
    return base


def rebuild(url):
    start = time.perf_counter()
    if build_once():
        FAILED.unlink(missing_ok=True)
        print(f'[watch] built in {time.perf_counter() - start:.2f} s: {url}',
              flush=True)
    else:
        print('[watch] the build failed (see above): fix the source and save '
              'it again', flush=True)


def compile_problem():
    """The first file of the build's own code that does not compile, as
    `file:line: message`, or None."""
    for path in sorted((ROOT / 'booktools').glob('*.py')):
        try:
            compile(path.read_bytes(), str(path), 'exec')
        except SyntaxError as e:
            return f'{os.path.relpath(path, ROOT)}:{e.lineno}: {e.msg}'
    return None


def loop(restart, loaded, url):
    """Build when stale, then rebuild after every save, until Ctrl+C, and
    say which page under `url` (the served book's) shows the change. When
    TOOLS differ from `loaded` (their snapshot taken before this process
    imported them), call `restart`, which does not return."""
    saves = Saves()  # before any snapshot: no save falls in between
    try:
        _loop(saves, restart, loaded, url)
    finally:
        saves.close()


def _loop(saves, restart, loaded, url):
    DONE = BOOK.done
    tools = loaded
    broken = False

    def check_tools():
        """Restart on new build code that compiles; True while it does not
        (then nothing is built: the old code would build it)."""
        nonlocal tools, broken
        if snapshot(TOOLS) == tools:
            return broken
        saves.settle()
        tools = snapshot(TOOLS)
        problem = compile_problem()
        if problem:
            message = (f'{problem} — fix it and save again; until then '
                       'nothing is rebuilt')
            print(f'[watch] error: {message}', flush=True)
            failed(message)
            broken = True
            return True
        print('[watch] the build tools or pins changed: restarting',
              flush=True)
        DONE.unlink(missing_ok=True)  # what the old code built is not current
        restart()

    FAILED.unlink(missing_ok=True)  # an earlier run's; this one builds anew
    check_tools()  # saved while this process was starting?
    warm()
    content = snapshot(CONTENT)
    if not check_tools() and is_stale({**content, **tools}):
        rebuild(url)
    print('[watch] watching the sources: save one and the book is rebuilt '
          '(Ctrl+C stops)', flush=True)
    while True:
        saves.wait()
        if check_tools():
            continue
        before, content = content, snapshot(CONTENT)
        changed = sorted(path for path in {*before, *content}
                         if before.get(path) != content.get(path))
        if changed:
            print(f'[watch] saved: {", ".join(changed)}', flush=True)
            rebuild(page_url(url, changed))
