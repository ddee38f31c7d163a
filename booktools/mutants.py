"""A small mutation check: break the tooling on purpose, one place at a
time, and see that the test suite notices.

    python -m booktools.mutants [NAME ...]     (make mutants)

Each entry of MUTANTS names a file, a snippet of it and what to put instead:
a breakage a careless edit could make, in a behaviour the book promises.
For each, the whole repository (without .git and build output) is copied
to a scratch folder, the snippet is replaced there — never in the sources —
the book is built and the test files most likely to notice run with
`-x`, then, if they pass, the whole suite. A mutant that leaves the suite green is a survivor: a
promise no test keeps. The report lists every mutant as killed (with the
first test that failed) or SURVIVED, and the command fails on a survivor.

Written here rather than with a mutation library (mutmut, cosmic-ray):
those mutate operators at random across every line and need one suite run
per mutant, hours for this suite; this list is a few deliberate breakages,
each of a promise the README makes. Not part of `make test`: each mutant
costs a build and up to a whole run of the suite.
"""
import os
import re
import shutil
import subprocess
import sys
import time

from booktools import BookError, ROOT
from booktools.layout import BOOK

# (name, file, snippet, replacement, test files to run first)
MUTANTS = [
    ('no-path-scrubbing', 'booktools/execute.py',
     '    """Remove paths of the build machine from an output."""\n',
     '    """Remove paths of the build machine from an output."""\n'
     '    return text\n',
     ['tests/test_scrub.py']),
    ('warning-is-error-not-read', 'booktools/render.py',
     '    strict = config.warning_is_error()', '    strict = True',
     ['tests/test_faults.py']),
    ('install-without-hashes', 'Makefile',
     '--require-hashes \\\n', '\\\n', ['tests/test_makefile.py']),
    ('lock-ignores-versions', 'booktools/lock.py',
     "        if entries[name][0] != version:",
     "        if False:",
     ['tests/test_lock.py']),
    ('quiz-answers-unchecked', 'booktools/quiz.py',
     '        if want not in got:', '        if False:',
     ['tests/test_quiz.py']),
    ('korean-numref-in-english', 'booktools/langs.py',
     "    if m[1] == 'Section':  # a notebook is a 장, a section inside it a 절",
     "    return m[0]\n    if m[1] == 'Section':",
     ['tests/test_site.py', 'tests/test_korean.py']),
    ('swap-files-rebuild', 'booktools/watch.py',
     "    return name.startswith('.')", '    return False',
     ['tests/test_watch.py']),
    ('kernels-not-forked', 'booktools/execute.py',
     "    if zygote:  # booktools/provisioner.py, registered by pyproject.toml",
     "    if False:",
     ['tests/test_kernels.py']),
    ('both-languages-everywhere', 'booktools/langs.py',
     "    if lang == 'both' or SEP not in text:", '    if True:',
     ['tests/test_unit_pure.py', 'tests/test_site.py']),
    ('retitle-leaves-sidebars-stale', 'booktools/render.py',
     "    NAVIGATION_SHOWN.unlink(missing_ok=True)\n"
     "    return sorted(env.found_docs)",
     "    return []",
     ['tests/test_render.py']),
    ('referring-page-left-stale', 'booktools/render.py',
     "                    kept[doc] = doc in wanted or not self_contained(doc)",
     "                    kept[doc] = doc in wanted",
     ['tests/test_render.py']),
    ('half-written-save-built', 'booktools/watch.py',
     "        if self.recent(self.pending):\n            self.settle()\n",
     "",
     ['tests/test_watch.py']),
    ('linkers-ignore-headings', 'booktools/notebooks.py',
     "            [[rel, anchors.get(rel)] for rel in links]]",
     "            [[rel, None] for rel in links]]",
     ['tests/test_notebooks.py']),
    ('zip-rereads-everything', 'booktools/notebooks.py',
     "            if old is not None and name not in fresh and name in kept:",
     "            if False:",
     ['tests/test_notebooks.py']),
    ('drawer-left-raw', 'booktools/site.py',
     "        rewrite_page(soup)\n        drawer = ''.join",
     "        drawer = ''.join",
     ['tests/test_render.py']),
]

IGNORE = shutil.ignore_patterns('.git', BOOK.build.name, '.venv', 'node_modules',
                                '*.egg-info', '__pycache__', '.pytest_cache')


def once(text, file, old):
    """The snippet must be there exactly once: a stale entry is an error."""
    if text.count(old) != 1:
        raise BookError(f'booktools/mutants.py: {file} holds the snippet '
                        f'{old.strip()!r} {text.count(old)} times, not once '
                        '— update the MUTANTS entry')


def apply(folder, file, old, new):
    path = folder / file
    text = path.read_text(encoding='utf-8')
    once(text, file, old)
    path.write_text(text.replace(old, new), encoding='utf-8')


def run(name, file, old, new, first, scratch):
    folder = scratch / name
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(ROOT, folder, ignore=IGNORE)
    for shared in ('.venv', 'node_modules'):  # installed once, not per copy
        os.symlink(ROOT / shared, folder / shared)
    if BOOK.cache.exists():  # the cells' outputs: no notebook re-runs
        shutil.copytree(BOOK.cache, folder / BOOK.rel(BOOK.cache))
    apply(folder, file, old, new)
    env = dict(os.environ, PATH=f'{ROOT / ".venv" / "bin"}:'
               f'{os.environ["PATH"]}')
    build = subprocess.run([sys.executable, '-m', 'booktools.build', 'html'],
                           cwd=folder, env=env, capture_output=True,
                           text=True)
    if build.returncode:
        return 'killed', 'the build itself fails'
    # The likely files first: a killed mutant then costs seconds. Only if
    # they pass, the whole suite (pytest would run one list in file order),
    # on two workers as `make test` runs it.
    for files, workers in ((first, []),
                           (['tests'], ['-n', '2', '--dist', 'loadgroup'])):
        tests = subprocess.run(
            [sys.executable, '-m', 'pytest', '-x', '-q', '-p',
             'no:cacheprovider', *workers, *files],
            cwd=folder, env=env, capture_output=True, text=True)
        if tests.returncode:
            failed = re.search(r'^FAILED (\S+)', tests.stdout, re.M)
            return 'killed', (failed[1] if failed else
                              tests.stdout.strip()[-200:])
    return 'SURVIVED', 'every test passed'


def main(argv):
    chosen = [m for m in MUTANTS if not argv or m[0] in argv]
    unknown = set(argv) - {m[0] for m in MUTANTS}
    if unknown:
        raise BookError(f'unknown mutant(s) {", ".join(sorted(unknown))}; '
                        f'known: {", ".join(m[0] for m in MUTANTS)}')
    for _, file, old, _new, _ in chosen:  # every snippet still there
        once((ROOT / file).read_text(encoding='utf-8'), file, old)
    scratch = BOOK.mutants
    survivors = []
    for name, file, old, new, first in chosen:
        start = time.monotonic()
        verdict, why = run(name, file, old, new, first, scratch)
        print(f'[mutants] {name:<28} {verdict:<9} {why} '
              f'({time.monotonic() - start:.0f} s)', flush=True)
        if verdict == 'SURVIVED':
            survivors.append(name)
    shutil.rmtree(scratch, ignore_errors=True)
    if survivors:
        raise BookError(f'{len(survivors)} mutant(s) left the suite green: '
                        f'{", ".join(survivors)} — add a test that fails')


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
