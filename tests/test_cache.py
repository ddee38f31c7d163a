"""The execution cache: prose edits start no kernel, code edits re-run one
notebook, environment changes re-run all, damage is detected, and outputs
are the same from one clean run to the next."""
import re
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


def test_second_make_html_does_nothing():
    subprocess.run(['make', 'html'], cwd=ROOT, capture_output=True)
    result = subprocess.run(['make', 'html'], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0
    assert 'booktools' not in result.stdout, result.stdout


def test_prose_edit_starts_no_kernel(book):
    path = book / 'chapters' / 'deferred_init.md'
    text = path.read_text()
    path.write_text(text.replace('::: en\n', '::: en\nEdited prose.\n', 1))
    assert executed(build(book)) == []
    page = (book / '_build' / 'html' / 'chapters' / 'deferred_init.html')
    assert 'Edited prose.' in page.read_text()


def test_code_edit_reruns_exactly_that_notebook(book):
    path = book / 'chapters' / 'init_errors.md'
    path.write_text(path.read_text().replace(
        '```{.python .input}\n', '```{.python .input}\nedited = 1\n', 1))
    assert executed(build(book)) == ['chapters/init_errors.md']
    # A second build finds everything in the cache.
    assert executed(build(book)) == []


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
    assert sorted(executed(build(book))) == notebooks_with_code()
    for fresh in (book / '_build' / 'eval').rglob('*.ipynb'):
        original = EVAL / fresh.relative_to(book / '_build' / 'eval')
        assert fresh.read_text() == original.read_text(), fresh.name


def test_damaged_pandoc_cache_entry_is_not_served(book):
    """Markdown cells are converted once and kept; a damaged conversion is
    redone, never pasted into a page."""
    entries = sorted((book / '_build' / 'cache' / 'pandoc').iterdir())
    assert entries
    for entry in entries:  # damage every one of them
        entry.write_text(entry.read_text()[:-40] + 'DAMAGED')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (book / '_build' / 'html' / 'chapters' / 'deferred_init.html')
    assert 'DAMAGED' not in page.read_text()
    assert all('DAMAGED' not in e.read_text() for e in entries)
