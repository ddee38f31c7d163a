"""Outputs never show the build machine's paths: a cell that prints them
shows placeholders on the page and in the notebooks."""
from bs4 import BeautifulSoup

from conftest import Layout, build
from test_faults import inject

CHAPTER = 'chapters/init_errors.md'
CELL = '''```{.python .input}
import os, sys
print('cwd', os.getcwd())
print('exe', sys.executable)
print('file', os.path.join(os.getcwd(), 'data.csv'))
```'''


def test_a_cell_that_prints_paths_shows_placeholders(book):
    import sys
    inject(book, ':label:', CELL, path=CHAPTER)
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    layout = Layout(book)
    page = (layout.html / 'chapters' / 'init_errors.html').read_text()
    lines = [l.strip() for l in
             BeautifulSoup(page, 'html.parser').get_text().splitlines()]
    printed = {l.split(' ', 1)[0]: l.split(' ', 1)[1] for l in lines
               if l.split(' ', 1)[0] in ('cwd', 'exe', 'file') and ' ' in l}
    assert printed['cwd'] == '.'
    assert printed['exe'].startswith('<python>/bin/python'), printed
    assert printed['file'] == './data.csv'
    notebook = (layout.eval / 'chapters' / 'init_errors.ipynb').read_text()
    for where in (page, notebook):
        assert str(book) not in where
        assert sys.prefix not in where
