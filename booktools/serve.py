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
import os
import signal
import sys

from booktools import BookError, ROOT, die_with_parent, watch
from booktools.build import DONE, HTML_DIR

# Served pages (never the files on disk) ask twice a second whether a build
# has finished since they were served, and reload if so: save, and the page
# in the browser shows the change. Only this server is asked.
BUILT = '/__booktools_built__'
RELOAD = ('<script>(function () {{ const ask = setInterval(function () {{'
          f' fetch("{BUILT}", {{{{cache: "no-store"}}}})'
          '.then(function (r) {{ return r.text(); }})'
          '.then(function (t) {{ if (t !== "{built}") {{'
          ' clearInterval(ask); location.reload(); }} }})'
          '.catch(function () {{}}); }}, 500); }})();</script>')


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

    def do_GET(self):
        url = self.path.split('?')[0].split('#')[0]
        if url == BUILT:
            return self._send(built().encode(), 'text/plain')
        path = self.translate_path(self.path)
        if os.path.isdir(path) and url.endswith('/'):
            path = os.path.join(path, 'index.html')
        if path.endswith('.html') and os.path.isfile(path):
            script = RELOAD.format(built=built()).encode()
            with open(path, 'rb') as f:
                page = f.read()
            return self._send(page.replace(b'</body>', script + b'</body>', 1),
                              'text/html; charset=utf-8')
        return super().do_GET()

    def _send(self, body, kind):
        self.send_response(200)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_in_child(server):
    """The web server runs in its own process, so that the builds forked
    from this one never inherit a thread in the middle of a request."""
    pid = os.fork()
    if pid == 0:
        die_with_parent()
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

    try:
        watch.loop(restart)
    except KeyboardInterrupt:
        pass
    finally:
        stop(child)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
