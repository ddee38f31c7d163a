"""Build the HTML book: the pipeline `make html` runs.

    python -m booktools.build html

config check -> evaluation (booktools.execute, cached) -> reST (d2lbook,
booktools.render) -> Sphinx in the renderer process -> at the same time,
the notebooks the pages link to, numbered as the pages are
(booktools.notebooks), here, and the pages' post-processing (booktools.site)
in the renderer -> a check that no local path reached the pages -> the
`.done` stamp `make html` depends on. Every step's folder is
booktools.layout's.
"""
import os
import sys
import tempfile

from booktools import BookError, ROOT, config, execute, notebooks, render
from booktools.layout import BOOK, one_build_at_a_time

CHECKED = ('.html', '.ipynb', '.js', '.txt', '.tex')


def check_no_local_paths(folder, since=None):
    """Pages and notebooks must not carry the build machine's paths. With
    `since` (ns), only the files modified since then: the others were
    checked by the build that succeeded at that time."""
    needles = {str(ROOT), sys.prefix, os.path.realpath(sys.prefix),
               tempfile.gettempdir() + '/'}
    home = os.path.expanduser('~')
    if home not in ('/', ''):
        needles.add(home + '/')
    # os.walk, not Path.rglob: a book of 160 notebooks has some 2,000 files
    # here, and a prose edit's build rewrites a handful of them.
    found = sorted(os.path.join(where, name)
                   for where, _, names in os.walk(folder) for name in names
                   if os.path.splitext(name)[1] in CHECKED)
    for path in found:
        if since is not None and os.stat(path).st_mtime_ns < since:
            continue
        with open(path, encoding='utf-8', errors='replace') as file:
            text = file.read()
        for needle in needles:
            if needle in text:
                raise BookError(f'{os.path.relpath(path, ROOT)}: contains the '
                                f'local path {needle!r} — an output printed '
                                'it; print something path-free instead')


def html(argv=(), done=None):
    """The build; `done` is what to print at its end ('' for nothing: make
    serve prints the page's URL instead of the folder to open)."""
    import json
    timings = {}
    # Taken first, so that the renderer holds it too for as long as it lives.
    lock = one_build_at_a_time()
    try:  # the start of the last build that succeeded (see the end)
        checked = BOOK.done.stat().st_mtime_ns
    except FileNotFoundError:
        checked = None
    BOOK.start.touch()
    renderer = render.Renderer()
    timed = render.timed
    try:
        timed(timings, 'config', config.check)
        timed(timings, 'eval', execute.main)
        timed(timings, 'rst', lambda: render.render_rst(
            before_conf=renderer.prepared))
        renderer.send('render')
        # The notebooks the pages link to take their cross-reference and
        # figure numbers from the pages Sphinx wrote, exported here while
        # the renderer finalizes those pages (the two cores share the work;
        # the pages read the same before and after finalize).
        renderer.rendered()
        try:
            timed(timings, 'notebooks', lambda: notebooks.export(
                BOOK.notebooks_in_html))
        except BookError:
            renderer.finish()  # not stopped while it writes the pages
            raise
        timings.update(renderer.result())
    finally:
        renderer.close()
    # What the builds since the last successful one wrote, failed ones too.
    timed(timings, 'check', lambda: (
        check_no_local_paths(BOOK.html, checked),
        check_no_local_paths(BOOK.eval, checked)))
    # For `make bench`, which reports Sphinx's share of a build.
    BOOK.timings.write_text(json.dumps(timings))
    # Stamped in one step: `make serve`'s pages reload when it changes.
    stamp = BOOK.done.with_name('.done.tmp')
    stamp.touch()
    start = BOOK.start.stat()
    os.utime(stamp, ns=(start.st_atime_ns, start.st_mtime_ns))
    os.replace(stamp, BOOK.done)
    lock.close()
    if done is None:
        done = f'[html] done: open {BOOK.rel(BOOK.html)}/index.html'
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
