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
