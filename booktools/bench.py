"""Time the build in a scratch copy of the book (a benchmark, not a test).

    python -m booktools.bench [--runs N]

(a) floor: every notebook's code cells run in one Python process;
(b) cold `make html` (environment installed, no _build/);
(c) `make html` after a prose-only edit; (d) after a one-line code edit;
(e) `make html` with nothing changed; then, with `make serve` running,
(c') from saving a prose edit to the rebuilt book and (d') the same for a
code edit, and (c") from saving a prose edit to its page reloaded in a
browser (Debian's Chromium, headless, through Playwright: the page's own
reload script, not a simulation of it). Medians of N runs (default 3), in
seconds and as a ratio to (a).

    python -m booktools.bench --scale [--sizes 5,40,160] [--runs N]

The scale section (`make bench` runs it after the table above): the book
grown to each size by copies of its lessons (`synthetic`, labels renamed,
in a scratch folder), and for each size a cold build, a prose edit, a code
edit and no change, each as a one-shot `make html` and with `make serve`
running (from the save to the rebuilt book; the prose edit also to its page
reloaded in Chromium). Its last lines check the targets the tooling is held
to as the book grows.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from booktools import ROOT
from booktools.book import copy_book, notebook_sources
from booktools.layout import Layout
from booktools.execute import read_source

EDITED = 'chapters/deferred_init.md'


def floor_script(book):
    """One Python program running every notebook's cells, expected errors
    caught, each notebook in its own namespace and working directory."""
    parts = ['import os, matplotlib\nmatplotlib.use("Agg")\n']
    for src in notebook_sources():
        _, cells = read_source(book / src.relative_to(ROOT))
        body = []
        for c in cells:
            code = c.source
            if c.metadata.get('expect_error'):
                code = 'try:\n' + textwrap.indent(code or 'pass', '    ') + \
                    '\nexcept Exception:\n    pass'
            body.append(code)
        parts.append(f'os.chdir({str(book / src.parent.relative_to(ROOT))!r})'
                     f'\nexec(compile({chr(10).join(body)!r}, '
                     f'{src.name!r}, "exec"), {{}})\n')
    return ''.join(parts)


def timed(cmd, cwd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f'bench: {" ".join(cmd)} failed:\n{proc.stdout}{proc.stderr}')
    return elapsed


def prose_edit(book, n):
    path = book / EDITED
    text = path.read_text(encoding='utf-8')
    # One more word at the end of the first English paragraph.
    path.write_text(re.sub(r'(::: en\n.*?)(\n:::)', rf'\1 (edit {n}).\2',
                           text, count=1, flags=re.S), encoding='utf-8')


def code_edit(book, n):
    path = book / EDITED
    text = path.read_text(encoding='utf-8')
    path.write_text(text.replace('```{.python .input}\n',
                                 f'```{{.python .input}}\n_bench = {n}\n', 1),
                    encoding='utf-8')


class Serve:
    """`make serve` (its Python part) in the scratch book, read line by line."""

    def __init__(self, book):
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'booktools.serve', '--port', '0'], cwd=book,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        said = self.until('[watch] watching')
        self.url = re.search(r'http://127\.0\.0\.1:\d+/', said).group(0)

    def until(self, prefix):
        """What serve says up to the line starting with `prefix`."""
        seen = []
        for line in self.proc.stdout:
            seen.append(line)
            if line.startswith(prefix):
                return ''.join(seen)
            if line.startswith('[watch] the build failed'):
                break
        self.proc.kill()
        sys.exit('bench: make serve did not say ' + repr(prefix) + ':\n' +
                 ''.join(seen))

    def rebuild_after(self, edit):
        """Seconds from the edit's save to the end of the rebuild it caused,
        polling included."""
        edit()
        start = time.perf_counter()
        self.until('[watch] built')
        return time.perf_counter() - start

    def reload_after(self, page, edit, marker):
        """Seconds from the edit's save to the load of the page it reloaded
        (the served page's own script asks the server, which answers when
        the rebuild is done)."""
        with page.expect_event('load', timeout=120000):
            edit()
            start = time.perf_counter()
        elapsed = time.perf_counter() - start
        if marker not in page.content():
            sys.exit(f'bench: the reloaded page lacks {marker!r}')
        self.until('[watch] built')
        return elapsed

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def reloads(serve, book, numbers):
    """(c"): a browser on the edited chapter's served page, one prose edit
    per number."""
    from playwright.sync_api import sync_playwright
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path='/usr/bin/chromium',
                                    args=['--headless', '--no-sandbox'])
        try:
            page = browser.new_page()
            page.goto(serve.url + EDITED.replace('.md', '.html'))
            for n in numbers:
                times.append(serve.reload_after(
                    page, lambda: prose_edit(book, n), f'(edit {n})'))
        finally:
            browser.close()
    return times


# --- the scale section -------------------------------------------------------

LABEL = re.compile(r':label:`([^`]+)`')
COPY_SUFFIX = '_c{}'


def synthetic(book, size):
    """Grow the copied `book` to `size` notebooks with copies of its lessons
    (round robin): `chapters/x.md` becomes `chapters/x_c1.md`, ..., listed
    in the toc after the originals, the labels it defines renamed (and the
    references to them inside the copy), its twins recorded like the
    original's (a Korean block whose text changed with a renamed label
    reads as stale, which only marks it on the page)."""
    from booktools import twins
    originals = sorted((book / 'chapters').glob('*.md'))
    index = book / 'index.md'
    toc_text = index.read_text(encoding='utf-8')
    count = 1 + len(originals)  # index.md and the chapters
    record = (book / twins.NAME).read_text(encoding='utf-8').splitlines()
    rows = {}
    for line in record:
        if line and not line.startswith('#'):
            rows.setdefault(line.split('\t', 1)[0], []).append(line)
    entries, new_rows, k = [], [], 0
    while count < size:
        k += 1
        for src in originals:
            if count >= size:
                break
            text = src.read_text(encoding='utf-8')
            suffix = COPY_SUFFIX.format(k)
            for label in LABEL.findall(text):
                text = re.sub(rf'`{re.escape(label)}`', f'`{label}{suffix}`',
                              text)
            name = f'{src.stem}{suffix}'
            (src.parent / f'{name}.md').write_text(text, encoding='utf-8')
            entries.append(f'chapters/{name}')
            for row in rows.get(f'chapters/{src.name}', []):
                new_rows.append(f'chapters/{name}.md' + row[row.index('\t'):])
            count += 1
    last = f'chapters/{originals[-1].stem}\n'
    assert last in toc_text, f'{index}: no toc entry {last.strip()}'
    index.write_text(toc_text.replace(last, last + ''.join(
        e + '\n' for e in entries), 1), encoding='utf-8')
    with open(book / twins.NAME, 'a', encoding='utf-8') as f:
        f.write(''.join(r + '\n' for r in new_rows))
    return count


def unchanged_save(book):
    """Save the edited chapter with the same bytes (a new mtime only)."""
    path = book / EDITED
    path.write_bytes(path.read_bytes())


def scale_one(scratch, size, runs):
    """The timings at one size: {row: [seconds per run]}."""
    book = copy_book(scratch / f'book-{size}', cache=False)
    os.symlink(ROOT / '.venv', book / '.venv')
    synthetic(book, size)
    make = ['make', '--no-print-directory', 'html']
    got = {k: [] for k in ('cold', 'prose', 'code', 'none', "prose'",
                           "code'", "none'", 'prose"')}
    for _ in range(runs):
        shutil.rmtree(Layout(book).build, ignore_errors=True)
        got['cold'].append(timed(make, book))
    for n in range(runs):
        prose_edit(book, n)
        got['prose'].append(timed(make, book))
        code_edit(book, n)
        got['code'].append(timed(make, book))
        got['none'].append(timed(make, book))
    serve = Serve(book)
    try:
        for n in range(runs, 2 * runs):
            got["prose'"].append(serve.rebuild_after(
                lambda: prose_edit(book, n)))
            got["code'"].append(serve.rebuild_after(
                lambda: code_edit(book, n)))
            got["none'"].append(serve.rebuild_after(
                lambda: unchanged_save(book)))
        got['prose"'] = reloads(serve, book, range(2 * runs, 3 * runs))
    finally:
        serve.close()
    shutil.rmtree(book, ignore_errors=True)
    return got


def scale(sizes, runs):
    scratch = pathlib.Path(tempfile.mkdtemp(prefix='book-bench-scale-'))
    results = {}
    try:
        for size in sizes:
            results[size] = {k: statistics.median(v) for k, v in
                             scale_one(scratch, size, runs).items()}
            print(f'[bench] {size} notebooks measured', flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    heads = [('cold', 'cold'), ('prose', 'prose'), ('code', 'code'),
             ('none', 'none'), ("prose'", "serve prose"),
             ("code'", 'serve code'), ("none'", 'serve none'),
             ('prose"', 'serve prose reloaded')]
    print(f'scale: median of {runs} runs, {os.cpu_count()} cores, seconds; '
          '"serve" rows from the save to the rebuilt book, "reloaded" to '
          'the page reloaded in Chromium')
    print('| notebooks | ' + ' | '.join(h for _, h in heads) + ' |')
    print('|' + ' --- |' * (len(heads) + 1))
    for size in sizes:
        print(f'| {size} | ' + ' | '.join(
            f'{results[size][k]:.2f}' for k, _ in heads) + ' |')
    word = {True: 'met', False: 'MISSED'}
    base = min(sizes)
    checks = []
    for size, limit in ((40, 1.3), (160, 2.0)):
        if size in results and base < size:
            ratio = results[size]['prose'] / results[base]['prose']
            checks.append(f'prose edit at {size} <= {limit} x at {base}: '
                          f'{word[ratio <= limit]} (ratio {ratio:.2f})')
    big = results[max(sizes)]
    rebuilt, reloaded = big["prose'"], big['prose"']
    checks.append(f'serve prose edit at {max(sizes)} <= 1 s: '
                  f'{word[rebuilt <= 1]} (rebuilt {rebuilt:.2f} s, reloaded '
                  f'{reloaded:.2f} s)')
    for size in sizes:
        if size == base:
            continue
        grow = results[size]['cold'] / results[base]['cold']
        checks.append(f'cold at {size} / cold at {base} <= {size}/{base} '
                      f'(the notebooks per core grow {size / base:.0f}x): '
                      f'{word[grow <= size / base]} (ratio {grow:.2f})')
    print('targets: ' + '; '.join(checks))
    return results


def main(argv):
    args = argparse.ArgumentParser(prog='make bench')
    args.add_argument('--runs', type=int, default=3)
    args.add_argument('--scale', action='store_true',
                      help='only the scale section')
    args.add_argument('--sizes', default='5,40,160',
                      help='book sizes for the scale section')
    options = args.parse_args(argv)
    runs = options.runs
    if options.scale:
        sizes = sorted({int(n) for n in options.sizes.split(',')})
        if not sizes or sizes[0] < 5:
            raise SystemExit('bench: sizes start at 5, the book itself')
        scale(sizes, runs)
        return
    scratch = pathlib.Path(tempfile.mkdtemp(prefix='book-bench-'))
    book = copy_book(scratch / 'book', cache=False)
    os.symlink(ROOT / '.venv', book / '.venv')
    make = ['make', '--no-print-directory', 'html']
    results = {}
    try:
        script = scratch / 'floor.py'
        script.write_text(floor_script(book))
        results['a'] = [timed([sys.executable, str(script)], book)
                        for _ in range(runs)]
        cold, render = [], []
        for _ in range(runs):
            shutil.rmtree(Layout(book).build, ignore_errors=True)
            cold.append(timed(make, book))
            steps = json.loads(Layout(book).timings.read_text())
            render.append(steps['rst'] + steps['sphinx'])
        results['b'] = cold
        results['c'], results['d'], results['e'] = [], [], []
        for n in range(runs):
            prose_edit(book, n)
            results['c'].append(timed(make, book))
            code_edit(book, n)
            results['d'].append(timed(make, book))
            results['e'].append(timed(make, book))
        serve = Serve(book)
        results["c'"], results["d'"] = [], []
        try:
            for n in range(runs, 2 * runs):
                results["c'"].append(serve.rebuild_after(
                    lambda: prose_edit(book, n)))
                results["d'"].append(serve.rebuild_after(
                    lambda: code_edit(book, n)))
            results['c"'] = reloads(serve, book, range(2 * runs, 3 * runs))
        finally:
            serve.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    labels = {'a': 'floor: all code cells, one Python process',
              'b': 'cold make html (environment installed)',
              'c': 'make html after a prose-only edit',
              'd': 'make html after a one-line code edit',
              'e': 'make html with nothing changed',
              "c'": 'make serve: save of a prose edit to rebuilt',
              "d'": 'make serve: save of a code edit to rebuilt',
              'c"': 'make serve: save of a prose edit to reloaded'}
    floor = statistics.median(results['a'])
    print(f'median of {runs} runs, {len(notebook_sources())} notebooks, '
          f'{os.cpu_count()} cores')
    for key, label in labels.items():
        med = statistics.median(results[key])
        print(f'{"(" + key + ")":<4} {label:<43} {med:6.2f} s  '
              f'{med / floor:5.2f}x')
    med = {k: statistics.median(v) for k, v in results.items()}
    render = statistics.median(render)
    print(f'    d2lbook + Sphinx rendering inside (b)       {render:6.2f} s')
    word = {True: 'met', False: 'MISSED'}
    serve_prose, serve_code, reload = med["c'"], med["d'"], med['c"']
    print(f"targets: (c) <= 3 s: {word[med['c'] <= 3]}; "
          f"(c) <= (d)/3: {word[med['c'] <= med['d'] / 3]} "
          f"(ratio {med['c'] / med['d']:.2f}); "
          f"(c') <= (d')/3: {word[serve_prose <= serve_code / 3]} "
          f"(ratio {serve_prose / serve_code:.2f}); "
          f"(e) <= 2 s: {word[med['e'] <= 2]}; "
          f"(c\") <= 1 s: {word[reload <= 1]}; "
          f"(b) <= 2 x ((a) + rendering) = {2 * (floor + render):.2f} s: "
          f"{word[med['b'] <= 2 * (floor + render)]}")

if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
