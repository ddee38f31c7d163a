"""The Makefile's promises: help, clean, and a clear word on wrong Pythons."""
import re
import subprocess

from conftest import Layout, ROOT, copy_book


def make(folder, *args):
    return subprocess.run(['make', '--no-print-directory', *args], cwd=folder,
                          capture_output=True, text=True)


def test_make_without_target_lists_every_target():
    out = make(ROOT).stdout
    phony = re.search(r'^\.PHONY:(.*)$', (ROOT / 'Makefile').read_text(),
                      re.M).group(1).split()
    for target in phony:
        assert re.search(rf'make {target}\s+\S', out), (target, out)


def test_clean_removes_build_output_only(tmp_path):
    book = copy_book(tmp_path / 'book')
    (Layout(book).html).mkdir(parents=True)
    (book / '.venv').mkdir()
    (book / '.venv' / 'marker').write_text('the environment stays')
    before = sorted(p.name for p in book.iterdir() if p.name != '_build')
    assert make(book, 'clean').returncode == 0
    assert not (Layout(book).build).exists()
    assert sorted(p.name for p in book.iterdir()) == before
    assert (book / '.venv' / 'marker').exists()


def test_reading_the_makefile_writes_nothing(tmp_path):
    """`make help` (or a dry run) leaves no `_build/`: the list of sources
    is written by a rule, only for the targets that need it."""
    book = copy_book(tmp_path / 'book', cache=False)
    for args in (('help',), ('-n', 'html'), ('clean',)):
        assert make(book, *args).returncode == 0
        assert not Layout(book).build.exists(), args


def test_adding_or_removing_a_source_rebuilds(tmp_path):
    """The list of sources changes, so `make html` is out of date; with the
    same sources it is not. (`make -q` cannot tell: the list's rule always
    runs, and only then does make see whether it changed.)"""
    book = copy_book(tmp_path / 'book', cache=False)
    (book / '.venv').symlink_to(ROOT / '.venv')
    stamp = Layout(book).done

    def builds():
        out = make(book, 'html', 'RUN=echo would-build').stdout
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()  # what the build would have done
        return 'would-build' in out

    assert builds()  # nothing built yet
    assert not builds()
    (book / 'img' / 'new.svg').write_text('<svg/>')
    assert builds()
    assert not builds()
    (book / 'img' / 'new.svg').unlink()
    assert builds()  # a deletion makes nothing newer: the list does
    assert not builds()


def test_wrong_python_is_refused_with_one_line(tmp_path):
    book = copy_book(tmp_path / 'book')
    fake = tmp_path / 'python3.12'
    # Answers like Python 3.12 would to the Makefile's two questions.
    fake.write_text('#!/bin/sh\ncase "$2" in *version_info*) exit 1;; '
                    '*platform*) echo 3.12.1;; esac\n')
    fake.chmod(0o755)
    result = make(book, 'html', f'PYTHON={fake}')
    assert result.returncode != 0
    assert 'Python 3.12.1' in result.stdout + result.stderr
    assert 'needs Python 3.11' in result.stdout + result.stderr
    assert not (book / '.venv').exists()


def test_lab_kernel_is_the_books_environment(tmp_path):
    """`make lab` starts JupyterLab whose `python3` kernel has MXNet, even
    when the user's home holds another `python3` kernel."""
    import json
    import os
    import sys
    home = tmp_path / 'home'
    other = home / '.local/share/jupyter/kernels/python3'
    other.mkdir(parents=True)
    (other / 'kernel.json').write_text(json.dumps(
        {'argv': ['/usr/bin/false', '{connection_file}'],
         'display_name': 'not the book', 'language': 'python'}))
    recipe = make(ROOT, '-n', 'lab').stdout  # the recipe, not run
    jupyter_path = re.search(r'JUPYTER_PATH="([^"]+)"', recipe).group(1)
    env = {**os.environ, 'HOME': str(home), 'JUPYTER_PATH': jupyter_path}
    # The command JupyterLab would start for a `python3` notebook.
    cmd = subprocess.run(
        [sys.executable, '-c', 'from jupyter_client.manager import '
         'KernelManager; print(KernelManager(kernel_name="python3")'
         '.format_kernel_cmd()[0])'],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    found = subprocess.run([cmd, '-c', 'import mxnet; print(mxnet.__version__)'],
                           capture_output=True, text=True)
    assert found.stdout.strip() == '1.9.1', (cmd, found.stderr)
    assert re.search(r'jupyter lab\s.*--notebook-dir=_build/notebooks',
                     recipe.replace('\\\n', ' '), re.S)


def test_pytest_runs_from_the_tests_folder_too():
    """pytest.ini puts the repository root on the path: `cd tests; pytest`
    finds booktools, as `make test` from the root does."""
    import sys
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         'test_skeleton.py'], cwd=ROOT / 'tests', capture_output=True,
        text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r'\d+ passed', result.stdout), result.stdout


def test_the_environment_installs_the_lock_in_hash_checking_mode():
    """The recipe (not run): the lock's freshness first, then pip with
    --require-hashes on requirements-lock.txt; the only other install is
    booktools itself (`-e .`), with no dependencies."""
    recipe = make(ROOT, '-n', '-B', '.venv/.installed').stdout
    lines = recipe.splitlines()
    check = next(i for i, l in enumerate(lines)
                 if 'booktools.lock --check' in l)
    pips = [i for i, l in enumerate(lines) if ' pip install' in l]
    assert pips and all(i > check for i in pips)
    commands = [lines[i].rstrip('\\') + (lines[i + 1] if lines[i].endswith(
        '\\') else '') for i in pips]
    assert '--require-hashes' in commands[0]
    assert '-r requirements-lock.txt' in commands[0]
    for command in commands[1:]:
        assert '--no-deps' in command and command.rstrip().endswith('-e .')



# Loaded into a pytest that only collects the suite: after the suite's own
# hooks have grouped the tests, it records each test's groups, and whether
# its code or fixtures use the built book's own _build/.
GROUP_PROBE = """
import inspect, json, os
import pytest

SHARES = ('sphinx_pages(', 'SHOTS')


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    from conftest import BUILT_BOOK_FIXTURES
    found = []
    for item in items:
        code = inspect.getsource(item.function)
        shares = (any(s in code for s in SHARES) or
                  ('booktools.pdf' in code and 'cwd=ROOT' in code) or
                  bool(BUILT_BOOK_FIXTURES & set(item.fixturenames)))
        found.append([item.nodeid, shares, sorted(
            m.args[0] for m in item.iter_markers('xdist_group'))])
    with open(os.environ['GROUP_PROBE_OUT'], 'w') as out:
        json.dump(found, out)
"""


def test_make_test_keeps_the_tests_of_the_built_book_on_one_worker(tmp_path):
    """`make test` spreads the suite over workers by groups, and every test
    that writes under the built book's own _build/ (a PDF built in the book,
    a screenshot, `make serve` on the book) or checks that nothing there
    changed (sphinx_pages) is in the group that runs on one worker."""
    import json
    import os
    import sys
    from conftest import BUILT_BOOK
    recipe = make(ROOT, '-n', 'test').stdout
    line = next(l for l in recipe.splitlines() if ' -m pytest ' in l)
    assert re.search(r' -n \d+ --dist loadgroup ', line), line
    (tmp_path / 'group_probe.py').write_text(GROUP_PROBE)
    out = tmp_path / 'groups.json'
    collected = subprocess.run(
        [sys.executable, '-m', 'pytest', '--collect-only', '-q',
         '-p', 'no:cacheprovider', '-p', 'group_probe', 'tests'],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, 'GROUP_PROBE_OUT': str(out),
             'PYTHONPATH': f'{tmp_path}:{ROOT / "tests"}'})
    assert collected.returncode == 0, collected.stdout + collected.stderr
    found = json.loads(out.read_text())
    assert len(found) > 600
    # Each test in one group: the book's if it shares the book's _build/
    # (a test may be marked so without this check knowing why), else its
    # module's.
    wrong = [(nodeid, groups) for nodeid, shares, groups in found
             if 'test_make_test_keeps' not in nodeid  # (it names them)
             and groups not in ([[BUILT_BOOK]] if shares else [
                 [BUILT_BOOK], [nodeid.split('::')[0].split('/')[-1]]])]
    assert not wrong, wrong
    assert sum(shares for _, shares, _ in found) >= 10



# Two small test files, grouped by the suite's own hook (tests/conftest.py):
# in each, six tests of the book's group (marked, or using `server`) and six
# others, each writing down the worker it ran on.
GROUPED = """
import os
import time

import pytest


def ran(kind):
    time.sleep(0.05)
    with open(os.environ['GROUPED_OUT'], 'a') as out:
        out.write(f'{kind} {os.environ["PYTEST_XDIST_WORKER"]}\\n')


@pytest.mark.parametrize('n', range(6))
def test_alone(n):
    ran('alone')


@pytest.mark.built_book
@pytest.mark.parametrize('n', range(3))
def test_marked(n):
    ran('book')


@pytest.mark.parametrize('n', range(3))
def test_serving(server, n):
    ran('book')
"""


def test_the_suites_groups_hold_on_two_workers(tmp_path):
    """pytest 9.2 broke xdist's grouping without a word (requirements.txt),
    and the suite's hook must run before xdist reads the groups: with the
    pins and the hook, the twelve tests of the book's group in two files
    run on one worker, and the others still run."""
    import inspect
    import os
    import sys
    import conftest
    (tmp_path / 'conftest.py').write_text('\n'.join([
        'import pytest', f'BUILT_BOOK = {conftest.BUILT_BOOK!r}',
        f'BUILT_BOOK_FIXTURES = {conftest.BUILT_BOOK_FIXTURES!r}', '',
        inspect.getsource(conftest.pytest_collection_modifyitems), '',
        '@pytest.fixture', 'def server():', '    return None', '']))
    for name in ('test_one.py', 'test_two.py'):
        (tmp_path / name).write_text(GROUPED)
    out = tmp_path / 'workers.txt'
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTEST')}
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-v', '-p', 'no:cacheprovider',
         '-o', 'markers=built_book', '-n', '2', '--dist', 'loadgroup',
         '--rootdir', str(tmp_path), str(tmp_path)], cwd=tmp_path,
        capture_output=True, text=True, env={**env, 'GROUPED_OUT': str(out)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert '24 passed' in result.stdout, result.stdout
    passed = re.findall(r'PASSED (\S+)', result.stdout)
    assert sum(p.endswith(f'@{conftest.BUILT_BOOK}') for p in passed) == 12, \
        result.stdout
    ran = [line.split() for line in out.read_text().splitlines()]
    book = {worker for kind, worker in ran if kind == 'book'}
    assert len(ran) == 24 and len(book) == 1, ran
    assert {worker for _, worker in ran} == {'gw0', 'gw1'}, ran
