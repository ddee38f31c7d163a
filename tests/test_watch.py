"""`make serve` rebuilds on save; builds of one checkout never overlap."""
import fcntl
import pathlib
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, book_env, processes_left, processes_running

from booktools import watch

CHAPTER = pathlib.Path('chapters') / 'deferred_init.md'


class Serve:
    """`python -m booktools.serve --port 0` in a copy of the book, its
    output read line by line."""

    def __init__(self, book):
        self.book = book
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'booktools.serve', '--port', '0'],
            cwd=book, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=book_env(book))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = re.search(r'http://127\.0\.0\.1:\d+/',
                             self.expect('Serving')[-1]).group(0)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, prefix, timeout=120):
        """Every line up to and including the first that starts with
        `prefix`; fails with what was said if it never comes."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0, deadline -
                                                  time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                pytest.fail(f'never said {prefix!r}; said:\n{"".join(seen)}')
            seen.append(line)
            if line.startswith(prefix):
                return seen

    def page(self, path):
        with urllib.request.urlopen(self.url + path) as response:
            return response.read().decode()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def served(book):
    """A built copy of the book with `serve` running in it."""
    (book / '.venv').symlink_to(ROOT / '.venv')
    made = subprocess.run(['make', 'html'], cwd=book, capture_output=True,
                          text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    serve = Serve(book)
    serve.expect('[watch] watching')
    yield serve
    serve.close()


def edit(book, old, new):
    path = book / CHAPTER
    text = path.read_text(encoding='utf-8')
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding='utf-8')


def test_saved_prose_edit_is_served_without_running_code(served):
    book = served.book
    edit(book, '::: en\n', '::: en\nA sentence saved while serving.\n')
    said = ''.join(served.expect('[watch] built'))
    assert '0 executed' in said and 'executing' not in said, said
    # It says where to look: the edited chapter's page, at the served URL.
    assert said.splitlines()[-1].endswith(
        f' s: {served.url}chapters/deferred_init.html'), said
    assert 'open _build' not in said
    assert 'A sentence saved while serving.' in served.page(
        'chapters/deferred_init.html')
    # The watch stamps the build as `make html` does: nothing left to do.
    again = subprocess.run(['make', 'html'], cwd=book, capture_output=True,
                           text=True)
    assert again.returncode == 0 and 'booktools' not in again.stdout, \
        again.stdout


def test_saved_code_edit_reruns_that_notebook(served):
    edit(served.book, '```{.python .input}\n',
         '```{.python .input}\nprint("from the watch", 6 * 7)\n')
    said = ''.join(served.expect('[watch] built'))
    assert '[eval] chapters/deferred_init.md: executing' in said
    assert '1 executed' in said
    assert 'from the watch 42' in served.page('chapters/deferred_init.html')


def test_served_page_reloads_itself_after_a_rebuild(served, visit):
    v = visit(allowed=lambda url: url.startswith(served.url))
    v.open(served.url + 'chapters/deferred_init.html')
    v.page.evaluate('window.loadedBeforeTheEdit = true')
    edit(served.book, '::: en\n', '::: en\nShown without a reload by hand.\n')
    served.expect('[watch] built')
    v.page.wait_for_function('document.body && document.body.textContent'
                             '.includes("Shown without a reload by hand.")',
                             timeout=20000)
    assert v.page.evaluate('window.loadedBeforeTheEdit') is None  # reloaded
    v.assert_clean()
    # Only served pages carry the reload: the files on disk stay as built.
    page = served.book / '_build' / 'html' / 'chapters' / 'deferred_init.html'
    assert 'Shown without a reload by hand.' in page.read_text()
    assert '__booktools_built__' not in page.read_text()


def test_favicon_is_served(served, browser):
    with urllib.request.urlopen(served.url + 'favicon.ico') as response:
        assert response.status == 200
        assert response.headers['Content-Type'] == 'image/svg+xml'
        icon = response.read().decode()
    assert icon.startswith('<svg') and icon.rstrip().endswith('</svg>')
    # The browser draws it. (On a page without Visit's request routing:
    # with it, Chromium failed to load this image, cause not found.)
    page = browser.new_page()
    try:
        page.goto(served.url + 'index.html')
        assert page.evaluate("""() => new Promise(done => {
            const icon = new Image();
            icon.onload = () => done(icon.naturalWidth);
            icon.onerror = () => done(-1);
            icon.src = "/favicon.ico";
        })""") == 32
    finally:
        page.close()


def test_reload_keeps_the_scroll_position(served, visit):
    v = visit(allowed=lambda url: url.startswith(served.url))
    v.open(served.url + 'chapters/deferred_init.html')
    main = '.mdl-layout__content'  # the theme scrolls this, not the window
    v.page.eval_on_selector(main, 'm => { m.scrollTop = 1500; }')
    v.page.evaluate('window.loadedBeforeTheEdit = true')
    edit(served.book, '::: en\n', '::: en\nScrolled while rebuilt.\n')
    served.expect('[watch] built')
    v.page.wait_for_function('document.body && document.body.textContent'
                             '.includes("Scrolled while rebuilt.")',
                             timeout=20000)
    v.settle()
    assert v.page.evaluate('window.loadedBeforeTheEdit') is None  # reloaded
    assert v.page.eval_on_selector(main, 'm => m.scrollTop') == 1500
    v.assert_clean()


def test_broken_save_is_reported_and_the_next_save_is_built(served):
    book = served.book
    edit(book, '::: en\n', '::: en\nSee :numref:`sec_no_such_label`.\n')
    said = ''.join(served.expect('[watch] the build failed'))
    assert re.search(r'chapters/deferred_init\.md:\d+: .*sec_no_such_label',
                     said), said
    assert served.proc.poll() is None  # still serving, still watching
    edit(book, 'See :numref:`sec_no_such_label`.\n', 'Fixed.\n')
    served.expect('[watch] built')
    assert 'Fixed.' in served.page('chapters/deferred_init.html')


def test_serve_says_only_builds_and_errors(served):
    """No line per request, and none for a reader who left mid-answer."""
    import json
    import socket
    served.page('index.html')
    served.page('chapters/deferred_init.html')
    with pytest.raises(urllib.error.HTTPError):
        served.page('no-such-file.css')
    known = json.loads(served.page('__booktools_built__?failed=asked'))
    # A page's question, waiting for the next build; the page goes away
    # (the connection is reset) before it is answered.
    host, port = re.search(r'//([\d.]+):(\d+)/', served.url).groups()
    gone = socket.create_connection((host, int(port)))
    gone.sendall(f'GET /__booktools_built__?built={known["built"]}&failed= '
                 f'HTTP/1.1\r\nHost: {host}\r\n\r\n'.encode())
    time.sleep(0.5)
    gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    b'\x01\x00\x00\x00\x00\x00\x00\x00')
    gone.close()
    edit(served.book, '::: en\n', '::: en\nA quiet rebuild.\n')
    said = served.expect('[watch] built')
    # A second save: every line said after the first build, up to its own.
    edit(served.book, 'A quiet rebuild.\n', 'A second quiet rebuild.\n')
    said += served.expect('[watch] built')
    noise = [line for line in said if not line.startswith(
        ('[watch] ', '[eval] ', '[html] '))]
    assert noise == [], ''.join(said)


def test_failed_build_shows_its_message_over_served_pages(served, visit):
    v = visit(allowed=lambda url: url.startswith(served.url))
    v.open(served.url + 'chapters/deferred_init.html')
    overlay = v.page.locator('#booktools-build-failed')
    assert overlay.count() == 0  # the last build succeeded
    edit(served.book, '::: en\n', '::: en\nSee :numref:`sec_no_such_label`.\n')
    served.expect('[watch] the build failed')
    overlay.wait_for(state='visible', timeout=10000)
    shown = overlay.inner_text()
    assert re.search(r'chapters/deferred_init\.md:\d+: .*sec_no_such_label'
                     r'.* — ', shown), shown
    assert 'The last build failed' in shown
    v.assert_clean()
    # The message is on every served page, also one opened after the failure.
    other = visit(allowed=lambda url: url.startswith(served.url))
    other.open(served.url + 'index.html')
    later = other.page.locator('#booktools-build-failed')
    later.wait_for(state='visible', timeout=10000)
    edit(served.book, 'See :numref:`sec_no_such_label`.\n', 'Fixed.\n')
    served.expect('[watch] built')
    for gone in (overlay, later):
        gone.wait_for(state='detached', timeout=10000)
    # The files on disk never carry it.
    for page in (served.book / '_build' / 'html').rglob('*.html'):
        assert 'booktools-build-failed' not in page.read_text(), page


def test_changed_build_code_restarts_serve_on_the_same_port(served):
    site = served.book / 'booktools' / 'site.py'
    site.write_text(site.read_text() + '\n# edited while serving\n')
    said = ''.join(served.expect('[watch] the build tools or pins changed'))
    said += ''.join(served.expect('Serving'))
    assert served.url in said  # the same address keeps working
    served.expect('[watch] built')  # newer build code: the book is rebuilt
    served.expect('[watch] watching')
    assert 'Deferred' in served.page('index.html')


@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGTERM])
def test_killed_serve_leaves_no_process_behind(served, sig):
    """`kill -9` (or `kill`) on serve in the middle of a rebuild that runs a
    kernel: the web server, the build, its workers and kernels all go, at
    once: the running cell does not get to end."""
    edit(served.book, '```{.python .input}\n',
         '```{.python .input}\nimport time\ntime.sleep(30)\n'
         'open("cell-ended", "w").close()\n')
    served.expect('[eval] chapters/deferred_init.md: executing')
    deadline = time.monotonic() + 20
    while (len(processes_running(served.book)) < 4 and
           time.monotonic() < deadline):
        time.sleep(0.2)  # serve, web server, build, worker, zygote, kernel
    assert len(processes_running(served.book)) >= 4
    served.proc.send_signal(sig)
    served.proc.wait()
    assert processes_left(served.book) == []
    assert not list(served.book.rglob('cell-ended'))


def test_build_waits_while_another_build_holds_the_book(book):
    """A `make html` started during a rebuild by `make serve` waits: it
    reads no source and writes nothing until the first build ends."""
    lock_path = book / '_build' / '.lock'
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [sys.executable, '-m', 'booktools.build', 'html'], cwd=book,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=book_env(book))
        first = proc.stdout.readline()
        assert first.startswith('waiting for another build'), first
        time.sleep(1)  # long enough to start building, were it not waiting
        assert proc.poll() is None
        assert not (book / '_build' / '.html-start').exists()
        assert not (book / '_build' / 'eval').exists()
    rest = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, rest
    assert (book / '_build' / 'html' / 'index.html').exists()


def test_hidden_files_are_not_sources(served):
    """Editors' swap files next to a figure and a chapter are not saves of
    the book: the first build after them is for the real edit, and every
    line said since they were written names no other save."""
    for swap in ('img/.figure.svg.swp', 'chapters/.deferred_init.md.swp'):
        (served.book / swap).write_text('swap')
    edit(served.book, '::: en\n', '::: en\nAfter the swap file.\n')
    said = served.expect('[watch] built')  # every line since the swaps
    # A later save too: a rebuild for a swap file after the first build
    # would show up before this one's.
    edit(served.book, 'After the swap file.\n', 'After the swap files.\n')
    said += served.expect('[watch] built')
    saves = [line for line in said if line.startswith('[watch] saved')]
    builds = [line for line in said if line.startswith(
        ('[watch] built', '[watch] the build failed'))]
    assert saves == ['[watch] saved: chapters/deferred_init.md\n'] * 2, \
        ''.join(said)
    assert len(builds) == 2 and all(line.rstrip().endswith(
        'chapters/deferred_init.html') for line in builds), ''.join(said)
    assert 'After the swap files.' in served.page(
        'chapters/deferred_init.html')


def test_build_code_that_does_not_compile_stops_rebuilds_until_fixed(served):
    site = served.book / 'booktools' / 'site.py'
    good = site.read_text()
    site.write_text(good + '\ndef broken(:\n')
    said = ''.join(served.expect('[watch] error: booktools/site.py:'))
    assert 'fix it and save again' in said
    # A chapter saved now is not built with the old code...
    edit(served.book, '::: en\n', '::: en\nSaved while the tools broke.\n')
    time.sleep(1)
    site.write_text(good + '\n# fixed\n')
    said = ''.join(served.expect('[watch] the build tools or pins changed'))
    assert '[watch] built' not in said, said
    # ...but by the new code, once it compiles.
    served.expect('[watch] built')
    assert 'Saved while the tools broke.' in served.page(
        'chapters/deferred_init.html')


def test_serve_watches_exactly_what_make_html_depends_on():
    make = subprocess.run(
        ['make', '--no-print-directory', '--eval',
         'print-sources: ; @echo $(SOURCES)', 'print-sources'],
        cwd=ROOT, capture_output=True, text=True, check=True)
    depends = set(make.stdout.split()) | {'Makefile'}
    watched = set(watch.snapshot(watch.CONTENT)) | set(
        watch.snapshot(watch.TOOLS))
    assert watched == depends
    # What wakes the watch is the same list: every source, no swap file.
    assert all(watch.is_source(path) for path in depends)
    assert not watch.is_source('img/.figure.svg.swp')
    assert not watch.is_source('_build/html/index.html')


def test_a_save_written_in_steps_is_waited_for_to_its_end(tmp_path,
                                                           monkeypatch):
    """watchfiles reports a file STEP ms after its first write, even while
    it is still being written: Saves.wait returns once the file is whole
    (no write for STEP ms), and right away after a save done in one go."""
    (tmp_path / 'chapters').mkdir()
    monkeypatch.setattr(watch, 'ROOT', tmp_path)
    src = tmp_path / 'chapters' / 'x.md'
    saves = watch.Saves()
    try:
        parts = ['# Title\n', 'First paragraph.\n', 'Second paragraph.\n']

        def write_slowly():
            with open(src, 'w', encoding='utf-8') as f:
                for part in parts:
                    f.write(part)
                    f.flush()
                    time.sleep(watch.STEP * 1.4 / 1000)
        writer = threading.Thread(target=write_slowly)
        writer.start()
        assert 'chapters/x.md' in saves.wait()
        whole = src.read_text(encoding='utf-8') == ''.join(parts)
        writer.join()
        assert whole, 'wait() returned while the file was being written'
        time.sleep(0.2)
        settled = []
        monkeypatch.setattr(saves, 'settle', lambda: settled.append(1))
        src.write_text('# Title\nOne write.\n', encoding='utf-8')
        assert 'chapters/x.md' in saves.wait()
        assert settled == []  # no second quiet step after one write
    finally:
        saves.close()
