"""The execution cache: prose edits start no kernel, code edits re-run one
notebook, environment changes re-run all, damage is detected, and outputs
are the same from one clean run to the next."""
import os
import re
import shutil
import subprocess

from conftest import EVAL, Layout, ROOT, build

EXECUTING = re.compile(r'^\[eval\] (\S+): executing$', re.M)


def executed(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return EXECUTING.findall(result.stdout)


def notebooks_with_code():
    return sorted(str(p.relative_to(ROOT)) for p in
                  [*ROOT.glob('chapters/*.md'), ROOT / 'index.md']
                  if '```{.python .input' in p.read_text())


def test_second_make_html_does_nothing(book):
    """`make html` twice: the second run builds nothing and changes no file."""
    (book / '.venv').symlink_to(ROOT / '.venv')
    first = subprocess.run(['make', 'html'], cwd=book, capture_output=True,
                           text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    files = {p: p.stat().st_mtime_ns for p in (Layout(book).build).rglob('*')}
    second = subprocess.run(['make', 'html'], cwd=book, capture_output=True,
                            text=True)
    assert second.returncode == 0
    assert 'booktools' not in second.stdout, second.stdout
    assert {p: p.stat().st_mtime_ns
            for p in (Layout(book).build).rglob('*')} == files


def test_stamp_carries_the_build_start_time(book):
    """A source saved while `make html` runs must be newer than the stamp,
    so the next `make html` builds again: the stamp gets the start time."""
    (book / '.venv').symlink_to(ROOT / '.venv')
    assert subprocess.run(['make', 'html'], cwd=book,
                          capture_output=True).returncode == 0
    start = (Layout(book).start).stat().st_mtime_ns
    done = (Layout(book).html / '.done').stat().st_mtime_ns
    pages = (Layout(book).html / 'index.html').stat().st_mtime_ns
    assert done == start < pages
    src = book / 'chapters' / 'init_errors.md'
    os.utime(src, ns=(start + 1, start + 1))  # saved during that build
    result = subprocess.run(['make', 'html'], cwd=book, capture_output=True,
                            text=True)
    assert 'booktools.build html' in result.stdout


def test_prose_edit_starts_no_kernel(book):
    path = book / 'chapters' / 'deferred_init.md'
    text = path.read_text()
    path.write_text(text.replace('::: en\n', '::: en\nEdited prose.\n', 1))
    result = build(book)
    assert executed(result) == []
    # A copy has the output cache but no record of a last build.
    sources = [*ROOT.glob('chapters/*.md'), ROOT / 'index.md']
    with_code = len(notebooks_with_code())
    summary = (f'[eval] {len(sources)} notebooks: 0 executed, {with_code} '
               'from the output cache')
    if len(sources) > with_code:
        summary += f', {len(sources) - with_code} without code'
    assert summary + '\n' in result.stdout, result.stdout
    page = (Layout(book).html / 'chapters' / 'deferred_init.html')
    assert 'Edited prose.' in page.read_text()


def test_code_edit_reruns_exactly_that_notebook(book):
    path = book / 'chapters' / 'init_errors.md'
    path.write_text(path.read_text().replace(
        '```{.python .input}\n', '```{.python .input}\nedited = 1\n', 1))
    assert executed(build(book)) == ['chapters/init_errors.md']
    # A second build finds everything in the cache.
    assert executed(build(book)) == []


def test_touched_but_unchanged_source_starts_no_kernel(book):
    assert executed(build(book)) == []
    os.utime(book / 'chapters' / 'deferred_init.md')  # `touch`
    result = build(book)
    assert executed(result) == [] and 'Traceback' not in result.stderr


def test_altered_cache_entry_is_not_served(book):
    """A well-formed entry whose outputs do not match its digest."""
    entry = Layout(book).cache / 'chapters' / 'deferred_init.md.json'
    text = entry.read_text()
    assert '(256, 20)' in text
    entry.write_text(text.replace('(256, 20)', '(999, 99)'))
    result = build(book)
    assert executed(result) == ['chapters/deferred_init.md']
    page = Layout(book).html / 'chapters' / 'deferred_init.html'
    assert '(999, 99)' not in page.read_text()


def test_damaged_cache_entry_is_rebuilt_not_served(book):
    entry = Layout(book).cache / 'chapters' / 'conv_shapes.md.json'
    entry.write_text(entry.read_text()[:len(entry.read_text()) // 2])
    result = build(book)
    assert executed(result) == ['chapters/conv_shapes.md']
    assert 'cache entry is damaged' in result.stdout
    assert executed(build(book)) == []  # and the new entry is whole


def test_requirements_change_reruns_all_with_identical_outputs(book):
    """Re-executing everything from scratch reproduces, byte for byte, the
    notebooks of the main build: outputs are deterministic."""
    req = book / 'requirements.txt'
    req.write_text(req.read_text() + '\n# a changed pin would go here\n')
    result = build(book)
    assert sorted(executed(result)) == notebooks_with_code()
    # It says what happened to each notebook, nothing else.
    sources = [*ROOT.glob('chapters/*.md'), ROOT / 'index.md']
    with_code = len(notebooks_with_code())
    summary = f'[eval] {len(sources)} notebooks: {with_code} executed'
    if len(sources) > with_code:
        summary += f', {len(sources) - with_code} without code'
    assert summary + '\n' in result.stdout, result.stdout
    assert 'cache' not in result.stdout, result.stdout
    for fresh in (Layout(book).eval).rglob('*.ipynb'):
        original = EVAL / fresh.relative_to(Layout(book).eval)
        assert fresh.read_text() == original.read_text(), fresh.name


def test_damaged_pandoc_cache_entry_is_not_served(book):
    """Markdown cells are converted once and kept; a damaged conversion is
    redone, never pasted into a page."""
    shutil.rmtree(Layout(book).cache / 'pandoc')  # only this book's
    assert build(book).returncode == 0
    entries = sorted((Layout(book).cache / 'pandoc').iterdir())
    assert entries
    for entry in entries:  # damage every one of them
        entry.write_text(entry.read_text()[:-40] + 'DAMAGED')
    shutil.rmtree(Layout(book).build / 'rst')  # so every cell is converted again
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (Layout(book).html / 'chapters' / 'deferred_init.html')
    assert 'DAMAGED' not in page.read_text()
    assert all('DAMAGED' not in e.read_text() for e in entries)


def test_hand_edited_evaluated_notebook_is_rewritten(book):
    """An unchanged source is not even re-read, but only while its
    evaluated notebook is exactly what the last build wrote."""
    assert executed(build(book)) == []
    evaluated = Layout(book).eval / 'chapters' / 'deferred_init.ipynb'
    good = evaluated.read_text()
    evaluated.write_text(good.replace('(256, 20)', '(999, 99)'))
    assert executed(build(book)) == []
    assert evaluated.read_text() == good


def test_damaged_page_and_template_caches_are_not_served(book):
    """Post-processed pages are kept by content, Jinja templates compiled;
    a damaged entry of either is redone, never used."""
    assert build(book).returncode == 0
    pages = Layout(book).cache / 'pages'
    entries = sorted(pages.iterdir())
    assert entries
    for entry in entries:
        entry.write_text(entry.read_text()[:-40] + 'DAMAGED')
    templates = sorted((Layout(book).cache / 'jinja').iterdir())
    assert len(templates) > 5  # the theme's and nbconvert's
    for entry in templates:
        entry.write_bytes(entry.read_bytes()[:len(entry.read_bytes()) // 2])
    shutil.rmtree(Layout(book).build / 'rst')  # so nbconvert renders again
    shutil.rmtree(Layout(book).html)  # so Sphinx writes every page
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in (Layout(book).html).rglob('*.html'):
        assert 'DAMAGED' not in page.read_text(), page
        assert 'class="lang-switch"' in page.read_text(), page


def test_sphinx_copies_only_the_static_files_pages_use(book):
    """Once a build has found which theme files pages link, later builds
    copy only those; if that list misses one, the build says so and the
    next one copies everything again."""
    import json
    assert build(book).returncode == 0
    record = Layout(book).cache / 'static-kept.json'
    kept = json.loads(record.read_text())
    static = Layout(book).html / '_static'
    assert sorted(str(p.relative_to(static)) for p in static.rglob('*')
                  if p.is_file()) == kept['files']
    kept['files'].remove('basic.css')  # the list leaves out a needed file
    record.write_text(json.dumps(kept))
    (static / 'basic.css').unlink()
    (book / 'index.md').write_text((book / 'index.md').read_text() + '\n')
    result = build(book)
    assert result.returncode == 1
    assert 'basic.css: linked from the pages but not copied' in result.stderr
    assert not record.exists()
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (static / 'basic.css').exists()
    assert 'basic.css' in json.loads(record.read_text())['files']


HASHED = """
from booktools import execute
hashed = []
entry = execute.manifest_entry
execute.manifest_entry = lambda src, *rest: hashed.append(
    execute.rel(src)) or entry(src, *rest)
execute.main()
print('hashed', sorted(set(hashed)))
"""


def hashed_by_eval(book):
    """The sources the evaluation step read and hashed, in a build of
    `book` run in-process."""
    import sys
    from conftest import book_env
    result = subprocess.run([sys.executable, '-c', HASHED], cwd=book,
                            capture_output=True, text=True,
                            env=book_env(book))
    assert result.returncode == 0, result.stdout + result.stderr
    return re.search(r"^hashed (\[.*\])$", result.stdout, re.M).group(1)


def test_unchanged_sources_are_stat_not_hashed(book):
    """A build looks at an unchanged notebook's files by stat only; an
    edited one, and only that one, is read and hashed again."""
    assert executed(build(book)) == []
    assert hashed_by_eval(book) == '[]'
    path = book / 'chapters' / 'init_errors.md'
    path.write_text(path.read_text() + '\n', encoding='utf-8')
    assert hashed_by_eval(book) == "['chapters/init_errors.md']"
    assert hashed_by_eval(book) == '[]'


def test_a_local_path_fails_every_build_until_it_is_gone(book):
    """The check of machine paths looks only at what changed since the last
    successful build, which includes what a failed build left behind."""
    assert executed(build(book)) == []
    path = book / 'chapters' / 'init_errors.md'
    good = path.read_text(encoding='utf-8')
    path.write_text(good + '\n```{.python .input}\nimport tempfile\n'
                    "print(tempfile.gettempdir() + '/scratch.txt')\n```\n",
                    encoding='utf-8')
    for _ in range(2):  # the second build changes nothing, and still fails
        result = build(book)
        assert result.returncode != 0
        assert 'contains the local path' in result.stderr, result.stderr
    path.write_text(good, encoding='utf-8')
    assert build(book).returncode == 0
