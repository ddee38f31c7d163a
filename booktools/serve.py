"""Serve the book to this machine only, and rebuild it on every save.

    python -m booktools.serve [--port N]        (make serve [PORT=N])

The pages work opened as files too; this is for readers who prefer a URL,
for checking the book the way a web server delivers it, and for authors and
translators: save a source and the book is rebuilt (booktools.watch); reload
the page to see it. `--port 0` takes any free port. Ctrl+C stops it.
"""
import argparse
import functools
import http.server
import os
import signal
import sys

from booktools import BookError, ROOT, die_with_parent, watch
from booktools.build import HTML_DIR


class Handler(http.server.SimpleHTTPRequestHandler):
    # Pages change on every build: have the browser ask again each time.
    def end_headers(self):
        self.send_header('Cache-Control', 'no-cache')
        super().end_headers()


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
