"""Serve the book to this machine only, and rebuild it on every save.

    python -m booktools.serve [--port N]        (make serve [PORT=N])

The pages work opened as files too; this is for readers who prefer a URL,
for checking the book the way a web server delivers it, and for authors and
translators: save a source and the book is rebuilt (booktools.watch), and
the page open in the browser reloads itself. `--port 0` takes any free
port. Ctrl+C stops it.
"""
import argparse
import functools
import http.server
import io
import os
import signal
import sys

from booktools import watch

# The build's own code as it is before this process imports it: a save that
# lands while it starts must still restart it.
LOADED = watch.snapshot(watch.TOOLS)

from booktools import BookError, ROOT, die_with_parent  # noqa: E402
from booktools.build import DONE, HTML_DIR  # noqa: E402

# Served pages (never the files on disk) ask every half second whether a
# build has finished since they were served, and reload if so: save, and the
# page in the browser shows the change. Only this server is asked, one
# question at a time, so a reload never cuts a question short.
BUILT = '/__booktools_built__'
RELOAD = ('<script>(function () {{ function ask() {{'
          f' fetch("{BUILT}", {{{{cache: "no-store"}}}})'
          '.then(function (r) {{ return r.text(); }})'
          '.then(function (t) {{ if (t === "{built}") setTimeout(ask, 500);'
          ' else location.reload(); }},'
          ' function () {{ setTimeout(ask, 500); }}); }}'
          ' setTimeout(ask, 500); }})();</script>')


NOT_BUILT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Not built yet</title></head><body>
<p lang="en">This page has not been built (yet). It reloads itself when the
next build succeeds; the terminal running <code>make serve</code> says what
the build is doing.</p>
<p lang="ko">이 페이지는 아직 빌드되지 않았습니다. 다음 빌드가 성공하면 저절로
다시 열립니다. 빌드 진행 상황은 <code>make serve</code>를 실행한 터미널에
표시됩니다.</p>
</body></html>""".encode()


def built():
    """When the last successful build started (its stamp), as text."""
    try:
        return str(DONE.stat().st_mtime_ns)
    except FileNotFoundError:
        return 'never'


class Handler(http.server.SimpleHTTPRequestHandler):
    # Pages change on every build: have the browser ask again each time.
    def end_headers(self):
        self.send_header('Cache-Control', 'no-cache')
        super().end_headers()

    def send_head(self):
        """GET and HEAD alike: pages with the reload script, the stamp, and
        for a page not built (yet) a note that reloads once it is."""
        url = self.path.split('?')[0].split('#')[0]
        status, kind = 200, 'text/html; charset=utf-8'
        if url == BUILT:
            body, kind = built().encode(), 'text/plain'
        else:
            path = self.translate_path(self.path)
            if os.path.isdir(path) and url.endswith('/'):
                path = os.path.join(path, 'index.html')
            if not path.endswith('.html'):
                return super().send_head()
            try:
                with open(path, 'rb') as f:
                    page = f.read()
            except OSError:
                status, page = 404, NOT_BUILT
            script = RELOAD.format(built=built()).encode()
            body = page.replace(b'</body>', script + b'</body>', 1)
        self.send_response(status)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve_in_child(server):
    """The web server runs in its own process, so that the builds forked
    from this one never inherit a thread in the middle of a request."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        die_with_parent(parent)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        os._exit(0)
    server.server_close()  # the child listens; this process only watches
    return pid


def stop(pid):
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def main(argv):
    parser = argparse.ArgumentParser(prog='python -m booktools.serve',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=8000,
                        help='port on 127.0.0.1 (default 8000; 0 = any free)')
    args = parser.parse_args(argv)
    HTML_DIR.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(Handler, directory=str(HTML_DIR))
    try:
        server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port),
                                                 handler)
    except OSError as e:
        raise BookError(f'cannot listen on 127.0.0.1:{args.port}: '
                        f'{e.strerror} — choose another with --port N '
                        '(make serve PORT=N)')
    port = server.server_port
    print(f'Serving {os.path.relpath(HTML_DIR, ROOT)} at '
          f'http://127.0.0.1:{port}/ (Ctrl+C stops)', flush=True)
    child = serve_in_child(server)

    def restart():
        # New build code or pins: `make serve` reinstalls what changed and
        # starts this again, with the new code, on the same port.
        stop(child)
        sys.stdout.flush()
        os.execvp('make', ['make', '--no-print-directory', '-C', str(ROOT),
                           'serve', f'PORT={port}'])

    # SIGTERM (from `kill`, a test, a supervisor) stops as Ctrl+C does:
    # the build in progress and the web server first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        watch.loop(restart, LOADED)
    except KeyboardInterrupt:
        pass
    finally:
        stop(child)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
