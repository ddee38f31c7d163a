"""The foundation: every cell ran, outputs are verbatim, errors are the
promised ones, and the build leaves no trace of the machine it ran on."""
import os

import pytest

from conftest import CHAPTERS, EVAL, HTML, ROOT, cell, evaluated, text


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == 'code']


def test_every_chapter_is_a_built_page():
    assert CHAPTERS, 'no chapters found'
    for name in CHAPTERS:
        assert (HTML / 'chapters' / f'{name}.html').exists(), name
    assert (HTML / 'index.html').exists()


@pytest.mark.parametrize('chapter', CHAPTERS)
def test_every_code_cell_was_executed_in_order(chapter):
    cells = code_cells(evaluated(chapter))
    assert cells
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), counts


@pytest.mark.parametrize('chapter', CHAPTERS)
def test_no_unexpected_error_output(chapter):
    for c in code_cells(evaluated(chapter)):
        expected = c.metadata.get('expect_error')
        kinds = [(o.output_type, o.get('name')) for o in c.outputs]
        assert ('error', None) not in kinds, c.source
        if expected:
            shown = [o.text for o in c.outputs if o.get('name') == 'stderr']
            assert len(shown) == 1, c.source
            assert shown[0].startswith(f'{expected}: '), shown
            assert 'raises-exception' in c.metadata.tags
            assert '#@expect_error' not in c.source
        else:
            assert ('stream', 'stderr') not in kinds, (c.source, text(c))


def test_expected_error_cells_show_their_message_on_the_page():
    page = (HTML / 'chapters' / 'deferred_init.html').read_text()
    msg = text(cell(evaluated('deferred_init'), 'data-before-forward'))
    assert msg.startswith('DeferredInitializationError: ')
    # Shown as printed (HTML-escaped at most), nothing interpreted.
    first = msg.splitlines()[0][:80]
    assert first in page or first.replace("'", '&#39;') in page


def test_printed_output_reaches_the_page_verbatim():
    """`sequential0_ (` must not be read as a reST link reference."""
    page = (HTML / 'chapters' / 'deferred_init.html').read_text()
    outputs = text(cell(evaluated('deferred_init'), 'params-before-init'))
    assert '_ (' in outputs  # the output really has the risky shape
    line = next(l for l in outputs.splitlines() if l.rstrip().endswith('_ ('))
    assert line.strip() in page
    assert 'docutils' not in page or 'Unknown target name' not in page


def test_no_local_path_in_pages_or_notebooks():
    needles = [str(ROOT), os.path.expanduser('~') + '/', '/tmp/', '.venv/']
    for folder in (HTML, EVAL):
        for path in folder.rglob('*'):
            if path.suffix in ('.html', '.ipynb', '.js', '.txt'):
                content = path.read_text(errors='replace')
                for needle in needles:
                    assert needle not in content, (path, needle)


def test_sources_carry_no_outputs():
    for path in (ROOT / 'chapters').glob('*.md'):
        assert '"outputs"' not in path.read_text()
    assert not list((ROOT / 'chapters').glob('*.ipynb'))
