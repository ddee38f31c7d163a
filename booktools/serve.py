"""Serve the book to this machine only, and rebuild it on every save.

    python -m booktools.serve [--port N]        (make serve [PORT=N])

The pages work opened as files too; this is for readers who prefer a URL,
for checking the book the way a web server delivers it, and for authors and
translators: save a source and the book is rebuilt (booktools.watch), and
the page open in the browser reloads itself, or shows the build's error
over the page while the last build failed. `--port 0` takes any free
port. Ctrl+C stops it.
"""
import argparse
import functools
import http.server
import io
import json
import os
import signal
import sys
import time
import urllib.parse

from booktools import watch

# The build's own code as it is before this process imports it: a save that
# lands while it starts must still restart it.
LOADED = watch.snapshot(watch.TOOLS)

from booktools import BookError, ROOT  # noqa: E402
from booktools.layout import BOOK, digest  # noqa: E402
from booktools.lifetime import die_with_parent  # noqa: E402

DONE, HTML_DIR = BOOK.done, BOOK.html

# Served pages (never the files on disk) ask this server, one question at a
# time, what the book's state is: when the last successful build started,
# and what the last build by `make serve` said if it failed. The server
# answers when that state differs from what the page knows (at once on the
# first question, else within WAIT seconds), so a finished build reloads the
# page without waiting for the next question, and a failed build shows its
# message over the page until a build succeeds.
BUILT = '/__booktools_built__'
WAIT = 20  # seconds a question waits for a change before it is answered
RELOAD = """<script>(function () {
  var known = {built: __BUILT__, failed: "?"};
  // A reload keeps the reader where they were: the page scrolls inside the
  // theme's <main>, so its offset is kept in sessionStorage and set again
  // once the theme, the figures and MathJax have laid the page out.
  var KEY = "booktools-scroll:" + location.pathname;
  function scrollers() {
    return [document.scrollingElement].concat(
      [].slice.call(document.querySelectorAll(".mdl-layout__content")));
  }
  function save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify(scrollers().map(
        function (e) { return e ? e.scrollTop : 0; })));
    } catch (e) {}  // storage off: reload at the top
  }
  function restore() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(KEY));
      sessionStorage.removeItem(KEY);
    } catch (e) {}
    if (!Array.isArray(saved)) return;
    function apply() {
      scrollers().forEach(function (e, i) {
        if (e && saved[i]) e.scrollTop = saved[i];
      });
    }
    apply();
    window.addEventListener("load", function () {
      apply();
      requestAnimationFrame(apply);
      if (window.MathJax && MathJax.startup && MathJax.startup.promise)
        MathJax.startup.promise.then(apply);
    });
  }
  restore();
  function show(message) {
    var box = document.getElementById("booktools-build-failed");
    if (!message) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "booktools-build-failed";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;" +
        "z-index:100000;max-height:50vh;overflow:auto;margin:0;" +
        "padding:12px 16px;background:#fff3f3;color:#1a1a1a;" +
        "border-top:4px solid #c62828;box-shadow:0 -2px 8px rgba(0,0,0,.3);" +
        "font:14px/1.5 sans-serif";
      var head = document.createElement("p");
      head.style.cssText = "margin:0 0 6px;font-weight:bold";
      [["en", "The last build failed, so this page may be out of date " +
              "or incomplete. Fix the source and save it: the page " +
              "reloads when a build succeeds."],
       ["ko", "마지막 빌드가 실패해서 이 페이지는 오래되었거나 불완전할 수 " +
              "있습니다. 소스를 고쳐 저장하면 빌드가 성공할 때 페이지가 " +
              "다시 열립니다."]]
        .forEach(function (text) {
          var span = document.createElement("span");
          span.lang = text[0];
          span.textContent = text[1] + " ";
          head.appendChild(span);
        });
      var pre = document.createElement("pre");
      pre.style.cssText = "margin:0;white-space:pre-wrap;" +
        "font:13px/1.4 monospace;background:none;border:0;padding:0";
      box.appendChild(head);
      box.appendChild(pre);
      document.body.appendChild(box);
    }
    box.querySelector("pre").textContent = message;
  }
  function ask() {
    fetch("__URL__?built=" + encodeURIComponent(known.built) + "&failed=" +
          encodeURIComponent(known.failed), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.built !== known.built) {
          save();
          location.reload();
          return;
        }
        known.failed = state.failed;
        show(state.message);
        ask();
      }, function () { setTimeout(ask, 1000); });  // server stopped?
  }
  ask();
})();</script>""".replace('__URL__', BUILT)


# Browsers ask every server for /favicon.ico; a 404 is an error in their
# console. This one is drawn for the book: the four stages of deferred
# initialization as four squares, the last (the shape not known yet) open.
FAVICON = b"""<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"
 viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1976d2"/>
<rect x="6" y="6" width="8" height="8" rx="1" fill="#fff"/>
<rect x="18" y="6" width="8" height="8" rx="1" fill="#fff"/>
<rect x="6" y="18" width="8" height="8" rx="1" fill="#fff"/>
<rect x="19" y="19" width="6" height="6" rx="1" fill="none" stroke="#fff"
 stroke-width="2" stroke-dasharray="2 1.5"/>
</svg>
"""


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


def state():
    """What a served page is told: the stamp, and the last failed build's
    message (empty once a build succeeded) with a short digest of it."""
    try:
        message = watch.FAILED.read_text(encoding='utf-8')
    except (FileNotFoundError, UnicodeDecodeError):
        message = ''
    failed = digest(message)[:16] if message \
        else ''
    return {'built': built(), 'failed': failed, 'message': message}


def answer(query):
    """The state, once it differs from what the question says the page
    knows, or after WAIT seconds."""
    asked = urllib.parse.parse_qs(query)
    known = (asked.get('built', [''])[0], asked.get('failed', [''])[0])
    deadline = time.monotonic() + WAIT
    now = state()
    while (now['built'], now['failed']) == known and \
            time.monotonic() < deadline:
        time.sleep(0.05)
        now = state()
    return json.dumps(now).encode()


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A reader who closes a tab or reloads mid-request is no error:
        print nothing. Anything else is, with its traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # BrokenPipeError, ConnectionResetError, ...
        super().handle_error(request, client_address)


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        """Quiet: the terminal shows builds and their errors, not every
        request (most of them the pages' questions about the build)."""

    # Pages change on every build: have the browser ask again each time.
    def end_headers(self):
        self.send_header('Cache-Control', 'no-cache')
        super().end_headers()

    def send_head(self):
        """GET and HEAD alike: pages with the reload script, the stamp, and
        for a page not built (yet) a note that reloads once it is."""
        url, _, query = self.path.split('#')[0].partition('?')
        status, kind = 200, 'text/html; charset=utf-8'
        if url == BUILT:
            body, kind = answer(query), 'application/json'
        elif url == '/favicon.ico':
            body, kind = FAVICON, 'image/svg+xml'
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
            script = RELOAD.replace('__BUILT__',
                                    json.dumps(built())).encode()
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
        server = Server(('127.0.0.1', args.port), handler)
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
    # watchfiles turns any signal that arrives while it waits into a
    # KeyboardInterrupt: `terminated` keeps SIGTERM's exit status.
    terminated = []

    def on_sigterm(*_):
        terminated.append(True)
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        watch.loop(restart, LOADED, f'http://127.0.0.1:{port}/')
    except KeyboardInterrupt:
        if terminated:
            sys.exit(143)
    finally:
        stop(child)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
