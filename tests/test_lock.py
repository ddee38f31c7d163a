"""The lock: requirements-lock.txt (hashes) and constraints.txt pin every
package of the environment, as installed, and `make lock` relocks a change."""
import importlib.metadata as md
import json
import re
import shutil
import subprocess
import sys

import pytest

from booktools import BookError, lock
from conftest import ROOT, copy_book

SKIP = {'pip', 'setuptools', 'wheel', 'booktools'}  # booktools: the book itself


def pins(text):
    found = {}
    for line in text.splitlines():
        m = re.match(r'^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)', line)
        if m:
            found[lock.norm(m[1])] = m[2]
    return found


def installed():
    return {lock.norm(d.metadata['Name']): d.version
            for d in md.distributions()
            if lock.norm(d.metadata['Name']) not in SKIP}


def test_every_installed_package_is_locked_at_its_version():
    locked = pins((ROOT / lock.LOCK).read_text())
    assert locked == installed()


def test_the_lock_is_fresh_and_constraints_are_its_versions():
    lock.check()  # raises if requirements.txt and the lock disagree
    text = (ROOT / lock.LOCK).read_text()
    assert (ROOT / 'constraints.txt').read_text() == \
        lock.constraints_text(text)
    assert pins((ROOT / 'constraints.txt').read_text()) == pins(text)
    for name, version, hashes, _ in lock.locked(text):
        assert hashes and all(h.startswith('sha256:') for h in hashes), name


def test_every_direct_requirement_is_marked_as_such():
    text = (ROOT / 'constraints.txt').read_text()
    for name in lock.direct():
        line = next(l for l in text.splitlines() if l.startswith(f'{name}=='))
        assert 'requirements.txt' in line.partition('# via')[2], line


def book_root(tmp_path):
    for name in ('requirements.txt', lock.LOCK, 'constraints.txt'):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_a_pin_the_lock_does_not_hold_is_named_with_its_line(tmp_path):
    root = book_root(tmp_path)
    req = root / 'requirements.txt'
    lines = req.read_text().splitlines(True)
    number = next(i for i, l in enumerate(lines, 1)
                  if l.startswith('watchfiles=='))
    lines[number - 1] = 'watchfiles==1.2.0\n'
    req.write_text(''.join(lines))
    with pytest.raises(BookError, match=rf'requirements.txt:{number}: pins '
                       r'watchfiles==1.2.0 but requirements-lock.txt has '
                       r'watchfiles==1.3.0 — run `make lock`'):
        lock.check(root)


def test_hand_edited_constraints_are_caught(tmp_path):
    root = book_root(tmp_path)
    path = root / 'constraints.txt'
    path.write_text(path.read_text().replace('alabaster==0.7.16',
                                             'alabaster==0.7.13'))
    with pytest.raises(BookError, match='constraints.txt: does not match'):
        lock.check(root)


def test_a_loose_pin_is_refused_with_its_line(tmp_path):
    root = book_root(tmp_path)
    req = root / 'requirements.txt'
    req.write_text(req.read_text() + 'six>=1.0\n')
    number = len(req.read_text().splitlines())
    with pytest.raises(BookError, match=rf'requirements.txt:{number}: '
                       r'`six>=1.0` is not an exact pin'):
        lock.direct(root)


def pip_install_lines(entries, target):
    """pip in hash-checking mode, one lock entry each, into `target`."""
    lines = ''.join(f'{name}=={version} ' +
                    ' '.join(f'--hash={h}' for h in hashes) + '\n'
                    for name, version, hashes in entries)
    reqs = target.parent / 'reqs.txt'
    reqs.write_text(lines)
    return subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
         '--require-hashes', '--only-binary', ':all:', '--target',
         str(target), '-r', str(reqs)], capture_output=True, text=True)


def test_a_file_whose_hash_differs_fails_the_install_naming_it(tmp_path):
    entry = next(e for e in lock.locked((ROOT / lock.LOCK).read_text())
                 if e[0] == 'alabaster')
    name, version, hashes, _ = entry
    forged = ['sha256:' + '0' * 64]
    result = pip_install_lines([(name, version, forged)], tmp_path / 't')
    assert result.returncode != 0
    assert 'DO NOT MATCH THE HASHES' in result.stderr
    assert f'alabaster=={version}' in result.stderr
    # The same line with the lock's hashes installs: the forged hash, not
    # the network, failed it.
    assert pip_install_lines([(name, version, hashes)],
                             tmp_path / 'u').returncode == 0


def test_make_lock_relocks_a_changed_pin_that_the_old_lock_contradicts(
        tmp_path):
    """A pin older than the lock's: the old lock is a preference, not a
    constraint, so it locks, and every other package keeps its version."""
    book = copy_book(tmp_path / 'book', cache=False)
    req = book / 'requirements.txt'
    req.write_text(req.read_text().replace('watchfiles==1.3.0',
                                           'watchfiles==1.2.0'))
    before = pins((ROOT / lock.LOCK).read_text())
    result = subprocess.run(['make', '-s', 'lock'], cwd=book,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (book / lock.LOCK).read_text()
    after = pins(text)
    assert after['watchfiles'] == '1.2.0'
    changed = {n for n in after if before.get(n) != after[n]}
    assert changed == {'watchfiles'}
    lock.check(book)  # the Makefile's install accepts the new lock
    # ... and the new lock installs in hash-checking mode.
    entry = next((n, v, h) for n, v, h, _ in lock.locked(text)
                 if n == 'watchfiles')
    target = tmp_path / 'site'
    result = pip_install_lines([entry], target)
    assert result.returncode == 0, result.stderr
    meta = md.distributions(path=[str(target)])
    assert {(d.metadata['Name'], d.version) for d in meta} == \
        {('watchfiles', '1.2.0')}


def test_a_bare_pip_install_of_requirements_gets_the_locked_versions(
        tmp_path):
    """What Binder-style launchers run: `pip install -r requirements.txt`,
    nothing else. Resolved from the registry (a dry run installs nothing);
    without requirements.txt's `-c constraints.txt` line, some transitive
    packages resolve to newer versions than the lock."""
    report = tmp_path / 'report.json'
    result = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--quiet', '--dry-run',
         '--ignore-installed', '--use-pep517', '--report', str(report),
         '-r', 'requirements.txt'],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    got = {lock.norm(item['metadata']['name']): item['metadata']['version']
           for item in json.loads(report.read_text())['install']}
    assert got == pins((ROOT / 'constraints.txt').read_text())


def test_a_pin_dropped_from_requirements_is_caught(tmp_path):
    """Still in the lock as a requirement, it would still be installed."""
    root = book_root(tmp_path)
    req = root / 'requirements.txt'
    req.write_text(''.join(l for l in req.read_text().splitlines(True)
                           if not l.startswith('watchfiles==')))
    with pytest.raises(BookError, match='requirements-lock.txt: locks '
                       'watchfiles as a requirement, but requirements.txt '
                       'no longer pins it'):
        lock.check(root)
