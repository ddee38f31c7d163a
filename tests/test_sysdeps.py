"""Missing Debian packages: installed as root, otherwise the exact command."""
import pytest

from booktools import BookError, sysdeps


def test_missing_package_without_root_prints_the_command(monkeypatch):
    monkeypatch.setitem(sysdeps.PACKAGES, 'demo',
                        ['libc6', 'no-such-package-for-this-test'])
    monkeypatch.setattr(sysdeps.os, 'geteuid', lambda: 1000)
    with pytest.raises(BookError) as err:
        sysdeps.ensure('demo')
    assert ('sudo apt-get install -y --no-install-recommends '
            'no-such-package-for-this-test') in str(err.value)
    assert 'libc6' not in str(err.value)  # installed ones are not asked for
