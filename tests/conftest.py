"""Shared helpers: the tests read what `make html` built under _build/."""
import pathlib
import subprocess
import sys

import nbformat
import pytest

from booktools import copy_book  # noqa: F401  (tests import it from here)

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVAL = ROOT / '_build' / 'eval'
HTML = ROOT / '_build' / 'html'
CHAPTERS = sorted(p.stem for p in (ROOT / 'chapters').glob('*.md'))


def evaluated(chapter):
    """The evaluated notebook `_build/eval/chapters/<chapter>.ipynb`."""
    path = EVAL / 'chapters' / f'{chapter}.ipynb'
    assert path.exists(), f'{path} missing: run `make html` first'
    return nbformat.read(path, as_version=4)


def cell(nb, cell_id):
    """The code cell fenced as ```{.python .input #cell_id}."""
    found = [c for c in nb.cells if c.cell_type == 'code' and
             c.metadata.get('attributes', {}).get('id') == cell_id]
    assert len(found) == 1, f'expected one cell #{cell_id}, found {len(found)}'
    return found[0]


def text(c):
    """Everything a code cell printed or returned, as one string."""
    parts = []
    for out in c.outputs:
        if out.output_type == 'stream':
            parts.append(out.text)
        elif 'data' in out and 'text/plain' in out.data:
            parts.append(out.data['text/plain'])
        elif out.output_type == 'error':
            parts.append(f'{out.ename}: {out.evalue}')
    return '\n'.join(parts)


def build(book, *args):
    """`python -m booktools.build html` in another copy of the book."""
    env_path = f'{pathlib.Path(sys.executable).parent}:/usr/bin:/bin'
    return subprocess.run([sys.executable, '-m', 'booktools.build', 'html',
                           *args], cwd=book, capture_output=True, text=True,
                          env={'PATH': env_path,
                               'HOME': str(book.parent / 'home')})


def processes_running(path):
    """Pids whose command line mentions `path` (forked kernels keep the
    zygote's command line) or whose working folder is inside it."""
    found = []
    import os
    for proc in pathlib.Path('/proc').iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / 'cmdline').read_bytes()
            cwd = os.readlink(proc / 'cwd')
        except OSError:
            continue
        if str(path).encode() in cmdline or cwd.startswith(str(path)):
            found.append(int(proc.name))
    return found


@pytest.fixture
def book(tmp_path):
    return copy_book(tmp_path / 'book')
