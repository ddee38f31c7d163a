"""In-process unit tests of booktools.execute's pure parts: where code cells
and their lines are in the Markdown, the output cache on damaged or stale
entries, cleaning outputs, and the line a traceback points at. No kernel."""
import json
from types import SimpleNamespace

import pytest

from booktools import execute
from booktools.nbfast import nbformat

MD = '\n'.join([
    '# Title / 제목',                   # 1
    '```{.python .input}',              # 2
    '#@expect_error ValueError',        # 3
    'import os',                        # 4
    'x = 1',                            # 5
    '',                                 # 6
    'print(x)',                         # 7
    '```',                              # 8
    'zzz = 3',                          # 9  prose that looks like code
    '```python',                        # 10 not a book cell
    'y = 2',                            # 11
    '```',                              # 12
    '```{.python .input #later}',       # 13
    'zzz = 3',                          # 14
    '```',                              # 15
])


def test_code_cell_lines_are_the_book_fences_only():
    assert execute.code_cell_lines(MD) == [2, 13]


def test_source_lines_follow_the_code_in_order_after_its_fence():
    md_lines = MD.split('\n')
    # d2lbook dropped the #@expect_error line and kept the rest.
    code = 'import os\nx = 1\n\nprint(x)'
    assert execute.source_lines(code, md_lines, 2) == [4, 5, 6, 7]


def test_a_line_not_in_the_cell_gets_the_fence_not_a_later_match():
    md_lines = MD.split('\n')
    # `zzz = 3` is on lines 9 and 14, both past this cell's closing fence.
    assert execute.source_lines('x = 1\nzzz = 3', md_lines, 2) == [5, 2]


def test_lines_d2lbook_reordered_keep_every_later_line_in_place():
    # d2lbook sorts the imports and adds a blank line after them: the code
    # run is 'import os', 'import sys', '', 'x = sys.argv'.
    md_lines = ['```{.python .input}', 'import sys', 'import os',
                'x = sys.argv', '```']
    code = 'import os\nimport sys\n\nx = sys.argv'
    assert execute.source_lines(code, md_lines, 1) == [3, 1, 1, 4]


def test_a_repeated_line_is_found_at_its_own_place():
    md_lines = ['```{.python .input}', 'a = 1', 'b = 2', 'a = 1', '```']
    assert execute.source_lines('a = 1\nb = 2\na = 1', md_lines, 1) == [
        2, 3, 4]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The cache entry of one made-up source, in tmp_path."""
    path = tmp_path / 'cache' / 'chapters' / 'x.md.json'
    monkeypatch.setattr(execute, 'cache_path', lambda src: path)
    return path


SRC = execute.ROOT / 'chapters' / 'x.md'
OUTPUTS = [{'execution_count': 1, 'outputs': [
    {'output_type': 'stream', 'name': 'stdout', 'text': 'ok\n'}]}]


def test_a_saved_entry_loads_for_its_key_only(cache, capsys):
    execute.save_cache(SRC, 'key-1', OUTPUTS)
    assert execute.load_cache(SRC, 'key-1', 1) == OUTPUTS
    assert execute.load_cache(SRC, 'key-2', 1) is None
    assert capsys.readouterr().out == ''  # a changed key is no damage


def test_a_missing_entry_is_a_quiet_miss(cache, capsys):
    assert execute.load_cache(SRC, 'key-1', 1) is None
    assert capsys.readouterr().out == ''


def damaged():
    """Entries that must never be used, by what is wrong with them."""
    good = {'key': 'key-1', 'outputs': OUTPUTS,
            'digest': execute._payload_digest(OUTPUTS)}
    tampered = dict(good, outputs=[{'execution_count': 1, 'outputs': []}])
    return {
        'cut short': json.dumps(good)[:40],
        'not an object': json.dumps([good]),
        'no digest': json.dumps({'key': 'key-1', 'outputs': OUTPUTS}),
        'outputs changed': json.dumps(tampered),
        'one cell too many': json.dumps(dict(
            good, outputs=OUTPUTS * 2,
            digest=execute._payload_digest(OUTPUTS * 2))),
        'not UTF-8 JSON': '\x00\x01',
    }


@pytest.mark.parametrize('damage', list(damaged()))
def test_a_damaged_entry_is_never_used_and_said(cache, capsys, damage):
    cache.parent.mkdir(parents=True)
    cache.write_text(damaged()[damage], encoding='utf-8')
    assert execute.load_cache(SRC, 'key-1', 1) is None
    out = capsys.readouterr().out
    assert out == ('[eval] chapters/x.md: cache entry is damaged, '
                   're-executing\n')


def test_clean_outputs_joins_pieces_of_a_stream_and_hides_paths(tmp_path):
    cwd = tmp_path / 'eval' / 'chapters'
    outputs = [
        {'output_type': 'stream', 'name': 'stdout', 'text': 'saving to '},
        {'output_type': 'stream', 'name': 'stdout',
         'text': f'{cwd}/net.params\n'},
        {'output_type': 'stream', 'name': 'stderr', 'text': 'warning\n'},
        {'output_type': 'stream', 'name': 'stdout', 'text': 'done\n'},
        {'output_type': 'execute_result', 'execution_count': 3,
         'metadata': {},
         'data': {'text/plain': f"PosixPath('{cwd}')",
                  'text/html': f'<b>{cwd}/x</b>', 'image/png': 'iVBOR'}},
        {'output_type': 'error', 'ename': 'ValueError', 'evalue': 'bad',
         'traceback': [f'{cwd}/x.py']},
    ]
    cell = SimpleNamespace(outputs=[dict(o) for o in outputs])
    cleaned = execute._clean_outputs(cell, cwd)
    assert cleaned == [
        {'output_type': 'stream', 'name': 'stdout',
         'text': 'saving to ./net.params\n'},
        {'output_type': 'stream', 'name': 'stderr', 'text': 'warning\n'},
        {'output_type': 'stream', 'name': 'stdout', 'text': 'done\n'},
        {'output_type': 'execute_result', 'execution_count': 3,
         'metadata': {},
         'data': {'text/plain': "PosixPath('.')", 'text/html': '<b>./x</b>',
                  'image/png': 'iVBOR'}},
        outputs[5],  # an error stays as the kernel said it
    ]
    assert cell.outputs == outputs  # the cell itself is left as it was


def notebook_with_cells():
    """Two executed cells whose code starts at Markdown lines 10 and 20."""
    first = nbformat.v4.new_code_cell('def f():\n    raise ValueError')
    first.execution_count = 1
    first.metadata.update(source_line=9, source_lines=[10, 11])
    second = nbformat.v4.new_code_cell('y = 1\nf()')
    second.execution_count = 2
    second.metadata.update(source_line=19, source_lines=[20, 21])
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell('prose'), first, second]), second


def test_failing_line_is_the_innermost_frame_in_this_notebook():
    nb, cell = notebook_with_cells()
    traceback = ['\x1b[0;31mValueError\x1b[0m Traceback',
                 'Cell \x1b[0;32mIn[2], line 2\x1b[0m\n----> 2 f()',
                 'Cell \x1b[0;32mIn[1], line 2\x1b[0m, in f()']
    assert execute.failing_line(nb, cell, traceback) == 11


def test_failing_line_ignores_frames_it_cannot_place():
    nb, cell = notebook_with_cells()
    # Line 9 of cell 2 does not exist; cell 7 is not in this notebook.
    assert execute.failing_line(nb, cell, 'Cell In[2], line 2\n'
                                'Cell In[2], line 9\nCell In[7], line 1') \
        == 21
    assert execute.failing_line(nb, cell, 'File site.py, line 3') == 19
    assert execute.failing_line(nb, cell, None) == 19


def raised(ename, evalue):
    return nbformat.v4.new_output('error', ename=ename, evalue=evalue,
                                  traceback=['Cell In[2], line 1'])


def test_an_expected_error_is_shown_as_one_line_without_traceback():
    nb, cell = notebook_with_cells()
    cell.metadata['expect_error'] = 'MXNetError'
    printed = nbformat.v4.new_output('stream', name='stdout', text='hi\n')
    cell.outputs = [printed, raised('MXNetError',
                                    'MXNetError: Shape inconsistent  \n')]
    execute._check_expected(SRC, nb, cell, 19)
    assert [(o.output_type, o.get('name'), o.get('text')) for o in
            cell.outputs] == [('stream', 'stdout', 'hi\n'),
                              ('stream', 'stderr',
                               'MXNetError: Shape inconsistent\n')]


def test_an_expected_error_that_does_not_happen_names_the_fence():
    nb, cell = notebook_with_cells()
    cell.metadata['expect_error'] = 'ValueError'
    cell.outputs = []
    with pytest.raises(execute.BookError, match=r'^chapters/x\.md:19: cell '
                       'was expected to raise ValueError but raised '
                       'nothing'):
        execute._check_expected(SRC, nb, cell, 19)


def test_another_error_than_expected_names_the_line_that_raised_it():
    nb, cell = notebook_with_cells()
    cell.metadata['expect_error'] = 'ValueError'
    cell.outputs = [raised('ZeroDivisionError', 'division by zero')]
    with pytest.raises(execute.BookError, match=r'^chapters/x\.md:20: cell '
                       'raised ZeroDivisionError: division by zero, not '
                       'ValueError'):
        execute._check_expected(SRC, nb, cell, 19)


def test_a_cell_without_expectation_keeps_its_error():
    nb, cell = notebook_with_cells()
    cell.outputs = [raised('ValueError', 'bad')]
    execute._check_expected(SRC, nb, cell, 19)
    assert cell.outputs[0].output_type == 'error'


def test_read_source_marks_an_expected_error_and_places_every_line(
        tmp_path):
    src = tmp_path / 'x.md'
    src.write_text('\n'.join([
        '# T',                           # 1
        '',                              # 2
        '```{.python .input}',           # 3
        '#@expect_error ValueError',     # 4
        'import sys',                    # 5
        'import os',                     # 6
        'raise ValueError(sys.argv)',    # 7
        '```',                           # 8
    ]) + '\n', encoding='utf-8')
    _, (cell,) = execute.read_source(src)
    # d2lbook sorted the imports and put a blank line after them.
    assert cell.source == ('import os\nimport sys\n\n'
                           'raise ValueError(sys.argv)')
    assert cell.metadata['expect_error'] == 'ValueError'
    assert cell.metadata['source_line'] == 3
    assert cell.metadata['source_lines'][-1] == 7  # the raise, where it is
    assert len(cell.metadata['source_lines']) == 4


def test_read_source_refuses_an_expect_error_line_not_first(tmp_path):
    src = tmp_path / 'x.md'
    src.write_text('intro\n\n```{.python .input}\nx = 1\n'
                   '#@expect_error ValueError\n```\n', encoding='utf-8')
    with pytest.raises(execute.BookError, match=r'x\.md:3: `#@expect_error '
                       'Name` must be the first line of the cell'):
        execute.read_source(src)


@pytest.mark.parametrize('tail', ['chapters/x.md', 'a//b.md', 'a/../b.md',
                                  'a/./b.md', '', 'chapters/'])
def test_rel_is_os_path_relpath(tail):
    import os
    from booktools import ROOT
    for path in (str(ROOT) + '/' + tail, ROOT / tail):
        assert execute.rel(path) == os.path.relpath(path, ROOT), path
    assert execute.rel('/tmp/elsewhere') == os.path.relpath('/tmp/elsewhere',
                                                            ROOT)


def test_eval_path_follows_the_layout_it_is_asked_under(monkeypatch,
                                                        tmp_path):
    """Remembered per source, and per evaluation folder: a layout changed
    meanwhile (a test's scratch book) gets its own path."""
    from booktools import ROOT
    from booktools.layout import BOOK, Layout
    src = ROOT / 'chapters' / 'deferred_init.md'
    assert execute.eval_path(src) == BOOK.eval / 'chapters' / \
        'deferred_init.ipynb'
    assert execute.eval_path(src) is execute.eval_path(src)
    scratch = Layout(tmp_path)
    monkeypatch.setattr(execute, 'BOOK', scratch)
    assert execute.eval_path(src) == scratch.eval / 'chapters' / \
        'deferred_init.ipynb'


def test_cells_made_inside_unchecked_cells_skip_the_schema_only_there():
    from booktools.nbfast import unchecked_cells
    from nbformat.v4 import nbbase
    check = nbbase.validate
    with pytest.raises(nbformat.ValidationError):
        nbbase.new_markdown_cell(source=1)  # not a string: refused
    with unchecked_cells():
        assert nbbase.validate is not check
        nbbase.new_markdown_cell(source=1)
    assert nbbase.validate is check
    with pytest.raises(RuntimeError), unchecked_cells():
        raise RuntimeError('inside')
    assert nbbase.validate is check
