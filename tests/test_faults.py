"""Bad input fails the build with a message naming the file and the line."""
import hashlib

from conftest import Layout, build

CHAPTER = 'chapters/deferred_init.md'


def inject(book, after, new_text, path=CHAPTER):
    """Insert `new_text` after the first line containing `after`; return the
    1-based line number where `new_text` starts."""
    src = book / path
    lines = src.read_text().splitlines(keepends=True)
    at = next(i for i, l in enumerate(lines) if after in l) + 1
    lines[at:at] = ['\n', new_text if new_text.endswith('\n') else
                    new_text + '\n', '\n']
    src.write_text(''.join(lines))
    return at + 2


def fails_with(result, *needles):
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    for needle in needles:
        assert needle in out, f'{needle!r} not in:\n{out}'
    assert 'Traceback' not in out, out


def digest(folder):
    h = hashlib.sha256()
    for path in sorted(folder.rglob('*')):
        # Bytecode caches are Python's, not sources.
        if path.is_file() and not {'_build', '__pycache__'} & set(path.parts):
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def test_syntax_error_names_file_and_line(book):
    line = inject(book, ':label:',
                  '```{.python .input}\n\nx = 1\ny = (1,\n```')
    fails_with(build(book), f'{CHAPTER}:{line + 3}:', 'SyntaxError')


def test_unexpected_exception_names_the_failing_line(book):
    """Not the cell's fence: the line the traceback names, in the .md."""
    line = inject(book, ':label:', '```{.python .input}\nx = 1\ny = 2\n\n'
                  'z = x / 0\nprint(z)\n```')
    fails_with(build(book), f'{CHAPTER}:{line + 4}: cell raised '
               'ZeroDivisionError', '#@expect_error')


def test_exception_in_a_function_names_the_line_in_its_cell(book):
    line = inject(book, ':label:', '```{.python .input}\ndef f():\n'
                  '    return 1 / 0\n```\n\n```{.python .input}\nf()\n```')
    fails_with(build(book), f'{CHAPTER}:{line + 2}: cell raised '
               'ZeroDivisionError')


def test_expected_error_that_does_not_happen(book):
    line = inject(book, ':label:', '```{.python .input}\n'
                  '#@expect_error ValueError\nx = 1\n```')
    fails_with(build(book), f'{CHAPTER}:{line}:', 'expected to raise '
               'ValueError but raised nothing')


def test_wrong_expected_error(book):
    line = inject(book, ':label:', '```{.python .input}\n'
                  '#@expect_error ValueError\nx = 1\n1 / 0\n```')
    fails_with(build(book), f'{CHAPTER}:{line + 3}:', 'ZeroDivisionError',
               'not ValueError')


def test_missing_image_names_file_and_line(book):
    line = inject(book, ':label:', '![A / 가](../img/no-such-figure.svg)')
    fails_with(build(book), f'{CHAPTER}:{line}:', 'no-such-figure.svg')


def test_unknown_label_names_file_and_line(book):
    line = inject(book, ':label:', '::: en\nSee :numref:`sec_nowhere`.\n:::'
                  '\n\n::: ko\n:numref:`sec_nowhere`을 보세요.\n:::')
    fails_with(build(book), f'{CHAPTER}:{line + 1}:', 'sec_nowhere',
               'undefined label')


def test_misspelt_config_key(book):
    config = book / 'config.ini'
    text = config.read_text()
    config.write_text(text.replace('warning_is_error', 'warnings_is_error'))
    line = next(i for i, l in enumerate(text.splitlines(), 1)
                if l.startswith('warning_is_error'))
    fails_with(build(book), f'config.ini:{line}:', "'warnings_is_error'",
               "did you mean 'warning_is_error'")


def test_build_never_modifies_sources(book):
    before = digest(book)
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (Layout(book).html / 'index.html').exists()
    assert digest(book) == before


def test_dead_kernel_names_file_and_line(book):
    line = inject(book, ':label:', '```{.python .input}\n'
                  'import os\nos._exit(1)\n```')
    fails_with(build(book), f'{CHAPTER}:{line}:', 'kernel died')


def test_unwritable_home_changes_no_output(book, tmp_path):
    """Matplotlib and IPython want a writable home; the build gives them
    their own, so outputs stay clean and identical."""
    import subprocess
    import sys
    import shutil
    from conftest import EVAL
    shutil.rmtree(Layout(book).cache)
    for home in ('/dev/null', '/'):
        result = subprocess.run(
            [sys.executable, '-m', 'booktools.build', 'html'], cwd=book,
            capture_output=True, text=True,
            env={'PATH': f'{sys.exec_prefix}/bin:/usr/bin:/bin', 'HOME': home})
        assert result.returncode == 0, result.stdout + result.stderr
        for fresh in (Layout(book).eval).rglob('*.ipynb'):
            original = EVAL / fresh.relative_to(Layout(book).eval)
            assert fresh.read_text() == original.read_text(), (home, fresh)
        shutil.rmtree(Layout(book).cache)


def test_deleted_chapter_leaves_no_page(book):
    assert build(book).returncode == 0
    page = Layout(book).html / 'chapters' / 'conv_shapes.html'
    assert page.exists()
    (book / 'chapters' / 'conv_shapes.md').unlink()
    index = book / 'index.md'
    index.write_text(index.read_text().replace('chapters/conv_shapes\n', ''))
    for md in (book / 'chapters').glob('*.md'):  # drop references to it
        md.write_text(md.read_text().replace(':numref:`sec_conv_shapes`',
                                             'the convolution chapter'))
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not page.exists()
    assert not (Layout(book).eval / 'chapters' /
                'conv_shapes.ipynb').exists()


def test_warning_is_error_false_prints_the_warning_and_builds(book):
    """config.ini's value is read: False lets a Sphinx warning through,
    still told against its Markdown line; True (the book's) fails on it."""
    line = inject(book, ':label:', '::: en\nSee :numref:`sec_nowhere`.\n:::'
                  '\n\n::: ko\n:numref:`sec_nowhere`을 보세요.\n:::')
    config = book / 'config.ini'
    config.write_text(config.read_text().replace(
        'warning_is_error = True', 'warning_is_error = False'))
    result = build(book)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f'warning: {CHAPTER}:{line + 1}:' in out, out
    assert 'sec_nowhere' in out
    layout = Layout(book)
    assert 'sec_nowhere' in (layout.html / 'chapters' /
                             'deferred_init.html').read_text()
    # The notebooks show the bare label too, as the page does.
    exported = (layout.notebooks_in_html / 'en' / 'chapters' /
                'deferred_init.ipynb').read_text()
    assert 'See sec_nowhere.' in exported and ':numref:' not in exported


def test_warning_is_error_must_be_yes_or_no(book):
    config = book / 'config.ini'
    text = config.read_text()
    config.write_text(text.replace('warning_is_error = True',
                                   'warning_is_error = sometimes'))
    line = next(i for i, l in enumerate(text.splitlines(), 1)
                if l.startswith('warning_is_error'))
    fails_with(build(book), f'config.ini:{line}:', "'sometimes'",
               'write True or False')
