"""Serve the built book to this machine only.

    python -m booktools.serve [--port N]

The pages work opened as files too; this is for readers who prefer a URL, and
for checking the book the way a web server delivers it. `--port 0` takes any
free port. Ctrl+C stops it.
"""
import argparse
import functools
import http.server
import os

from booktools import BookError, ROOT
from booktools.build import HTML_DIR


class Handler(http.server.SimpleHTTPRequestHandler):
    # Pages change on every build: have the browser ask again each time.
    def end_headers(self):
        self.send_header('Cache-Control', 'no-cache')
        super().end_headers()


def main(argv):
    parser = argparse.ArgumentParser(prog='python -m booktools.serve',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=8000,
                        help='port on 127.0.0.1 (default 8000; 0 = any free)')
    args = parser.parse_args(argv)
    if not (HTML_DIR / 'index.html').exists():
        raise BookError(f'{os.path.relpath(HTML_DIR, ROOT)}/index.html is '
                        'missing — build the book first: make html')
    handler = functools.partial(Handler, directory=str(HTML_DIR))
    try:
        server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port),
                                                 handler)
    except OSError as e:
        raise BookError(f'cannot listen on 127.0.0.1:{args.port}: '
                        f'{e.strerror} — choose another with --port N')
    with server:
        print(f'Serving {os.path.relpath(HTML_DIR, ROOT)} at '
              f'http://127.0.0.1:{server.server_port}/ (Ctrl+C stops)',
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
