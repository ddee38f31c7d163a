"""constraints.txt pins every package of the environment, as installed."""
from booktools import lock


def test_every_installed_package_is_pinned_at_its_version():
    pins = {}
    for line in (lock.ROOT / 'constraints.txt').read_text().splitlines():
        if line and not line.startswith('#'):
            name, version = line.split('#')[0].strip().split('==')
            pins[name] = version
    dists = lock.installed()
    assert set(pins) == set(dists)
    for name, dist in dists.items():
        assert pins[name] == dist.version, name


def test_constraints_file_is_what_make_lock_writes():
    assert (lock.ROOT / 'constraints.txt').read_text() == lock.lock_text()


def test_every_direct_requirement_is_marked_as_such():
    text = (lock.ROOT / 'constraints.txt').read_text()
    for name in lock.direct():
        assert f'\n{name}==' in text, name
        line = next(l for l in text.splitlines() if l.startswith(f'{name}=='))
        assert '# via requirements.txt' in line, line


def test_a_bare_pip_install_of_requirements_gets_the_locked_versions(
        tmp_path):
    """What Binder-style launchers run: `pip install -r requirements.txt`,
    nothing else. Resolved from the registry (a dry run installs nothing);
    without requirements.txt's `-c constraints.txt` line, some transitive
    packages resolve to newer versions than the lock."""
    import json
    import subprocess
    import sys
    report = tmp_path / 'report.json'
    result = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--quiet', '--dry-run',
         '--ignore-installed', '--use-pep517', '--report', str(report),
         '-r', 'requirements.txt'],
        cwd=lock.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    got = {lock.norm(item['metadata']['name']): item['metadata']['version']
           for item in json.loads(report.read_text())['install']}
    pins = {}
    for line in (lock.ROOT / 'constraints.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if line:
            name, version = line.split('==')
            pins[lock.norm(name)] = version
    assert {n: v for n, v in got.items() if pins.get(n) != v} == {}
    assert set(got) == set(pins)
