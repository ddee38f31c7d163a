"""The execution cache: prose edits start no kernel, code edits re-run one
notebook, environment changes re-run all, damage is detected, and outputs
are the same from one clean run to the next."""
import os
import re
import shutil
import subprocess

from conftest import EVAL, ROOT, build

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
    files = {p: p.stat().st_mtime_ns for p in (book / '_build').rglob('*')}
    second = subprocess.run(['make', 'html'], cwd=book, capture_output=True,
                            text=True)
    assert second.returncode == 0
    assert 'booktools' not in second.stdout, second.stdout
    assert {p: p.stat().st_mtime_ns
            for p in (book / '_build').rglob('*')} == files


def test_stamp_carries_the_build_start_time(book):
    """A source saved while `make html` runs must be newer than the stamp,
    so the next `make html` builds again: the stamp gets the start time."""
    (book / '.venv').symlink_to(ROOT / '.venv')
    assert subprocess.run(['make', 'html'], cwd=book,
                          capture_output=True).returncode == 0
    start = (book / '_build' / '.html-start').stat().st_mtime_ns
    done = (book / '_build' / 'html' / '.done').stat().st_mtime_ns
    pages = (book / '_build' / 'html' / 'index.html').stat().st_mtime_ns
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
    page = (book / '_build' / 'html' / 'chapters' / 'deferred_init.html')
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
    entry = book / '_build' / 'cache' / 'chapters' / 'deferred_init.md.json'
    text = entry.read_text()
    assert '(256, 20)' in text
    entry.write_text(text.replace('(256, 20)', '(999, 99)'))
    result = build(book)
    assert executed(result) == ['chapters/deferred_init.md']
    page = book / '_build' / 'html' / 'chapters' / 'deferred_init.html'
    assert '(999, 99)' not in page.read_text()


def test_damaged_cache_entry_is_rebuilt_not_served(book):
    entry = book / '_build' / 'cache' / 'chapters' / 'conv_shapes.md.json'
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
    for fresh in (book / '_build' / 'eval').rglob('*.ipynb'):
        original = EVAL / fresh.relative_to(book / '_build' / 'eval')
        assert fresh.read_text() == original.read_text(), fresh.name


def test_damaged_pandoc_cache_entry_is_not_served(book):
    """Markdown cells are converted once and kept; a damaged conversion is
    redone, never pasted into a page."""
    shutil.rmtree(book / '_build' / 'cache' / 'pandoc')  # only this book's
    assert build(book).returncode == 0
    entries = sorted((book / '_build' / 'cache' / 'pandoc').iterdir())
    assert entries
    for entry in entries:  # damage every one of them
        entry.write_text(entry.read_text()[:-40] + 'DAMAGED')
    shutil.rmtree(book / '_build' / 'rst')  # so every cell is converted again
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (book / '_build' / 'html' / 'chapters' / 'deferred_init.html')
    assert 'DAMAGED' not in page.read_text()
    assert all('DAMAGED' not in e.read_text() for e in entries)


def test_hand_edited_evaluated_notebook_is_rewritten(book):
    """An unchanged source is not even re-read, but only while its
    evaluated notebook is exactly what the last build wrote."""
    assert executed(build(book)) == []
    evaluated = book / '_build' / 'eval' / 'chapters' / 'deferred_init.ipynb'
    good = evaluated.read_text()
    evaluated.write_text(good.replace('(256, 20)', '(999, 99)'))
    assert executed(build(book)) == []
    assert evaluated.read_text() == good


def test_damaged_page_and_template_caches_are_not_served(book):
    """Post-processed pages are kept by content, Jinja templates compiled;
    a damaged entry of either is redone, never used."""
    assert build(book).returncode == 0
    pages = book / '_build' / 'cache' / 'pages'
    entries = sorted(pages.iterdir())
    assert entries
    for entry in entries:
        entry.write_text(entry.read_text()[:-40] + 'DAMAGED')
    templates = sorted((book / '_build' / 'cache' / 'jinja').iterdir())
    assert len(templates) > 5  # the theme's and nbconvert's
    for entry in templates:
        entry.write_bytes(entry.read_bytes()[:len(entry.read_bytes()) // 2])
    shutil.rmtree(book / '_build' / 'rst')  # so nbconvert renders again
    shutil.rmtree(book / '_build' / 'html')  # so Sphinx writes every page
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in (book / '_build' / 'html').rglob('*.html'):
        assert 'DAMAGED' not in page.read_text(), page
        assert 'class="lang-switch"' in page.read_text(), page


def test_sphinx_copies_only_the_static_files_pages_use(book):
    """Once a build has found which theme files pages link, later builds
    copy only those; if that list misses one, the build says so and the
    next one copies everything again."""
    import json
    assert build(book).returncode == 0
    record = book / '_build' / 'cache' / 'static-kept.json'
    kept = json.loads(record.read_text())
    static = book / '_build' / 'html' / '_static'
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
