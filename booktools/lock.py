"""Write constraints.txt: every package of the book's environment, pinned.

    python -m booktools.lock      (make lock)

requirements.txt pins what the book uses directly and explains each pin;
constraints.txt pins everything those pull in, so that a build next year
installs the same code. Each line says which packages need it.
"""
import importlib.metadata as md
import re

from booktools import ROOT

HEADER = """\
# Every package of the book's environment at an exact version, so that the
# transitive dependencies of requirements.txt cannot change under the book
# (d2lbook and Jupyter pin none of theirs). Each line says what needs it.
# Written by `make lock` from a working .venv; edit requirements.txt, not this.
"""
SKIP = {'pip', 'setuptools', 'wheel'}


def norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def installed():
    return {norm(d.metadata['Name']): d for d in md.distributions()
            if norm(d.metadata['Name']) not in SKIP}


def direct():
    names = set()
    for line in (ROOT / 'requirements.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if line and not line.startswith('-'):  # e.g. `-c constraints.txt`
            names.add(norm(re.split(r'[=<>!~\[;]', line)[0]))
    return names


def lock_text():
    dists = installed()
    needed_by = {name: set() for name in dists}
    by_extra = {name: set() for name in dists}  # needed only via an extra
    for name, dist in dists.items():
        for req in dist.requires or []:
            dep = norm(re.split(r'[\s=<>!~\[;(]', req, 1)[0])
            extra = re.search(r'extra\s*==\s*["\']([^"\']+)', req)
            if dep in needed_by and dep != name:
                if extra:
                    by_extra[dep].add(f'{name}[{extra.group(1)}]')
                else:
                    needed_by[dep].add(name)
    roots = direct()
    lines = [HEADER]
    for name in sorted(dists):
        if name in roots:
            why = ['requirements.txt', *sorted(needed_by[name])]
        else:
            why = sorted(needed_by[name] or by_extra[name])
        pin = f'{name}=={dists[name].version}'
        lines.append(f'{pin:<40} # via {", ".join(why) or "?"}\n')
    return ''.join(lines)


def main(argv):
    (ROOT / 'constraints.txt').write_text(lock_text())
    print('[lock] wrote constraints.txt', flush=True)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
