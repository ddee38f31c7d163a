"""In-process unit tests of booktools.lock's reading of a uv lock file and
the constraints.txt derived from it. Made-up lock texts; no uv runs."""
from booktools import lock

A, B, C, D = ('sha256:' + digit * 64 for digit in 'abcd')

LOCK = f"""\
# Written by `make lock` (uv pip compile --generate-hashes) from requirements.txt.
# Installed with pip --require-hashes; edit requirements.txt, not this.
alabaster==0.7.16 \\
    --hash={A} \\
    --hash={B}
    # via sphinx
Foo_Bar.baz[extra]==1.0rc1 \\
    --hash={C}
    # via -r requirements.txt, d2lbook
zeta==2.0 \\
    --hash={D}
    # via
    #   anyio
    #   -r requirements.txt
"""


def test_locked_reads_names_versions_hashes_and_needers():
    assert lock.locked(LOCK) == [
        ('alabaster', '0.7.16', [A, B], ['sphinx']),
        ('foo-bar-baz', '1.0rc1', [C], ['-r requirements.txt', 'd2lbook']),
        ('zeta', '2.0', [D], ['anyio', '-r requirements.txt']),
    ]


def test_a_short_hash_is_not_a_hash_and_comments_before_any_entry_go():
    text = ('# via nothing\n'
            'six==1.16.0 \\\n'
            '    --hash=sha256:abc\n')
    assert lock.locked(text) == [('six', '1.16.0', [], [])]


def test_constraints_text_lists_the_versions_without_hashes():
    text = lock.constraints_text(LOCK)
    assert text.startswith(lock.HEADER)
    assert text[len(lock.HEADER):].splitlines() == [
        f'{"alabaster==0.7.16":<40} # via sphinx',
        f'{"foo-bar-baz==1.0rc1":<40} # via requirements.txt, d2lbook',
        f'{"zeta==2.0":<40} # via anyio, requirements.txt',
    ]
    assert 'sha256' not in text


def test_a_package_nobody_claims_says_so():
    assert lock.constraints_text('solo==1 \\\n    --hash=' + A + '\n') == (
        lock.HEADER + f'{"solo==1":<40} # via ?\n')


def test_norm_is_pips_name_normalization():
    assert lock.norm('Jupyter_Client') == lock.norm('jupyter.client') == \
        lock.norm('jupyter--client') == 'jupyter-client'
