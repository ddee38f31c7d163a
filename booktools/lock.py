"""Lock the book's environment: requirements-lock.txt and constraints.txt.

    python -m booktools.lock UV      (make lock: resolve again with uv)
    python -m booktools.lock --check (before every install: is the lock fresh?)

requirements.txt pins what the book uses directly and explains each pin.
`make lock` has uv (a kept resolver, not code of ours) resolve it into
requirements-lock.txt: every package at an exact version, with the SHA-256 of
each of its files, each saying which packages need it. `make html` installs
that file in pip's hash-checking mode, so a swapped or tampered file fails the
install, naming the package.

constraints.txt holds the same versions without hashes, for the `-c` line of
requirements.txt: Binder-style launchers run only `pip install -r
requirements.txt`, and pip refuses hashes in a constraints file (they switch
on hash-checking for requirements that have none).

uv resolves from requirements.txt without its `-c` line, so a new pin that
conflicts with the old lock still locks; the old lock is only a preference,
so the other packages keep their versions. This module only drives uv and
derives constraints.txt; it stays standard-library only, because
`--check` runs before the environment exists.
"""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

from booktools import BookError, ROOT

LOCK = 'requirements-lock.txt'
CONSTRAINTS = 'constraints.txt'
PLATFORM = ['--python-version', '3.11']  # MXNet 1.9.1's NumPy needs 3.11

HEADER = """\
# Every package of the book's environment at an exact version, so that the
# transitive dependencies of requirements.txt cannot change under the book
# (d2lbook and Jupyter pin none of theirs). Each line says what needs it.
# The versions of requirements-lock.txt without its hashes (pip refuses hashes
# in a constraints file); written by `make lock`: edit requirements.txt.
"""


def norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def direct(root=ROOT):
    """{name: (version, line number)} of requirements.txt's pins."""
    pins = {}
    path = root / 'requirements.txt'
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split('#')[0].strip()
        if not line or line.startswith('-'):  # e.g. `-c constraints.txt`
            continue
        m = re.fullmatch(r'([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?'
                         r'\s*==\s*(\S+)', line)
        if not m:
            raise BookError(f'requirements.txt:{number}: `{line}` is not an '
                            'exact pin — write it as name==version')
        pins[norm(m[1])] = (m[3], number)
    return pins


def locked(text):
    """[(name, version, [hashes], [needed by])] of a uv lock file."""
    entries = []
    for line in text.splitlines():
        m = re.match(r'^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)',
                     line)
        if m:
            entries.append((norm(m[1]), m[2], [], []))
        elif entries and (h := re.search(r'--hash=(sha256:[0-9a-f]{64})',
                                         line)):
            entries[-1][2].append(h[1])
        elif entries and (v := re.match(r'\s+# via (.*)', line)):
            entries[-1][3].extend(w.strip() for w in v[1].split(','))
        elif entries and (v := re.match(r'\s+#\s+(?!via\s*$)(\S.*)', line)):
            entries[-1][3].append(v[1].strip())  # uv's one-per-line style
    return entries


def constraints_text(lock_text):
    lines = [HEADER]
    for name, version, _, why in locked(lock_text):
        why = ['requirements.txt' if w.startswith('-r ') else w for w in why]
        pin = f'{name}=={version}'
        lines.append(f'{pin:<40} # via {", ".join(why) or "?"}\n')
    return ''.join(lines)


def check(root=ROOT):
    """Raise a BookError unless the lock matches requirements.txt."""
    path = root / LOCK
    if not path.exists():
        raise BookError(f'{LOCK}: missing — run `make lock`')
    text = path.read_text()
    entries = {name: (version, hashes)
               for name, version, hashes, _ in locked(text)}
    pinned = direct(root)
    for name, (version, number) in pinned.items():
        if name not in entries:
            raise BookError(f'requirements.txt:{number}: {name} is not in '
                            f'{LOCK} — run `make lock`')
        if entries[name][0] != version:
            raise BookError(
                f'requirements.txt:{number}: pins {name}=={version} but '
                f'{LOCK} has {name}=={entries[name][0]} — run `make lock`')
    for name, version, _, why in locked(text):
        if name not in pinned and any(w.startswith('-r ') or
                                      w == 'requirements.txt' for w in why):
            raise BookError(f'{LOCK}: locks {name} as a requirement, but '
                            'requirements.txt no longer pins it — run '
                            '`make lock`')
    for name, (version, hashes) in entries.items():
        if not hashes:
            raise BookError(f'{LOCK}: {name}=={version} has no hash — run '
                            '`make lock`')
    if (root / CONSTRAINTS).read_text() != constraints_text(text):
        raise BookError(f'{CONSTRAINTS}: does not match {LOCK} — run '
                        '`make lock` (do not edit either by hand)')


def lock(uv, root=ROOT):
    """Resolve requirements.txt with uv; write both files atomically."""
    uv = os.path.abspath(uv)  # uv runs in the scratch folder
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        # Named like the original, so uv's notes say `-r requirements.txt`.
        req = [line for line in
               (root / 'requirements.txt').read_text().splitlines(True)
               if not re.match(r'\s*-c\s', line)]
        (tmp / 'requirements.txt').write_text(''.join(req))
        # uv prefers the versions the old lock holds (or, the first time,
        # constraints.txt): a new pin moves only what it must.
        for old in (LOCK, CONSTRAINTS):
            if (root / old).exists():
                shutil.copy(root / old, tmp / LOCK)
                break
        result = subprocess.run(
            [uv, 'pip', 'compile', 'requirements.txt', '--quiet',
             '--generate-hashes', *PLATFORM, '--no-header',
             '--annotation-style', 'line', '-o', LOCK],
            cwd=tmp, capture_output=True, text=True)
        if result.returncode:
            raise BookError('requirements.txt: uv could not resolve it:\n' +
                            result.stderr.strip())
        text = ('# Written by `make lock` (uv pip compile --generate-hashes) '
                'from requirements.txt.\n# Installed with pip '
                '--require-hashes; edit requirements.txt, not this.\n' +
                (tmp / LOCK).read_text())
        for name, content in ((LOCK, text),
                              (CONSTRAINTS, constraints_text(text))):
            part = root / f'.{name}.part'
            part.write_text(content)
            os.replace(part, root / name)


def main(argv):
    if argv == ['--check']:
        check()
        return
    if len(argv) != 1:
        raise BookError('usage: python -m booktools.lock UV | --check')
    lock(argv[0])
    check()
    print(f'[lock] wrote {LOCK} and {CONSTRAINTS}', flush=True)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
