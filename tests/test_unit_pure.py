"""In-process unit tests of pure functions: no build, no kernel; seconds."""
import os
import sys
from types import SimpleNamespace

from booktools import execute, langs


def test_pick_takes_one_side_of_the_separator():
    text = 'Deferred init' + langs.SEP + '지연 초기화'
    assert langs.pick(text, 'en') == 'Deferred init'
    assert langs.pick(text, 'ko') == '지연 초기화'
    assert langs.pick(text, 'both') == text
    assert langs.pick('only one', 'ko') == 'only one'


def test_sanitize_replaces_machine_paths(tmp_path):
    cwd = tmp_path / 'book'
    text = f'{cwd}/x.py\n{sys.prefix}/lib\n{os.path.expanduser("~")}/a'
    out = execute._sanitize(text, cwd)
    assert str(cwd) not in out and sys.prefix not in out
    assert out.splitlines()[0] == './x.py'


def test_cache_key_changes_with_code_and_environment():
    def cells(*sources):
        return [SimpleNamespace(source=s, metadata={}) for s in sources]
    key = execute.cache_key(cells('a = 1'), 'env')
    assert key == execute.cache_key(cells('a = 1'), 'env')
    assert key != execute.cache_key(cells('a = 2'), 'env')
    assert key != execute.cache_key(cells('a = 1'), 'env2')
    assert key != execute.cache_key(
        [SimpleNamespace(source='a = 1', metadata={'expect_error': True})],
        'env')
