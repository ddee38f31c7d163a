"""The book's own tooling: evaluate, build, check. See README.md."""
import configparser
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# nbformat's validator imports jsonschema, which imports rfc3987_syntax when
# present (Jupyter installs it) and spends over a second compiling a grammar
# for the `iri` format, which notebooks never use. Blocking it makes every
# build command start about that much faster.
sys.modules.setdefault('rfc3987_syntax', None)


class BookError(Exception):
    """A problem in the book's sources, told as `file:line: what — fix`."""


def read_config():
    config = configparser.ConfigParser()
    config.read(ROOT / 'config.ini', encoding='utf-8')
    return config


def notebook_sources():
    """The .md files d2lbook evaluates, as `[build] notebooks` lists them."""
    patterns = read_config()['build']['notebooks'].split()
    found = sorted({p for pat in patterns for p in ROOT.glob(pat)})
    return [p for p in found if p.is_file()]


# What a copy of the book needs to build: sources, not build output.
SOURCES = ['booktools', 'chapters', 'img', 'config.ini', 'index.md',
           'requirements.txt', 'constraints.txt', 'Makefile', 'TERMINOLOGY.md',
           'AUTHORING.md', 'TWINS.tsv']


def copy_book(dest, cache=True):
    """Copy the book's sources to `dest` (tests, benchmarks); with `cache`,
    also the execution cache, so unchanged notebooks are not re-run."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name,
                            ignore=shutil.ignore_patterns('__pycache__'))
        elif src.exists():
            shutil.copy2(src, dest / name)
    if cache and (ROOT / '_build' / 'cache').exists():
        shutil.copytree(ROOT / '_build' / 'cache', dest / '_build' / 'cache')
    return dest


def write_atomic(path, text):
    """Write a cache entry whole or not at all: a killed build must never
    leave half an entry behind."""
    import os
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_text(text, encoding='utf-8')
    os.replace(tmp, path)


def read_entry(path):
    """The text of a cache entry made by write_entry, or None when it is
    missing or damaged: its first line is the digest of the rest."""
    import hashlib
    try:
        digest, _, text = path.read_text(encoding='utf-8').partition('\n')
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text if digest == hashlib.sha256(text.encode()).hexdigest() else None


def write_entry(path, text):
    import hashlib
    write_atomic(path, hashlib.sha256(text.encode()).hexdigest() + '\n' + text)


def keep_compiled_templates(environment, build_dir):
    """Jinja compiles templates to Python in every process; keep the
    compiled code under _build/cache/jinja (Jinja checks it against each
    template's source) so that later builds load it instead."""
    import jinja2
    folder = pathlib.Path(build_dir) / 'cache' / 'jinja'
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return environment


def die_with_parent(parent):
    """In a helper forked by process `parent` (pool worker, renderer, build,
    web server): when that process dies, even by SIGKILL, die too (Linux)
    rather than work on for nobody. The zygote stops when its stdin closes,
    and its kernels with it."""
    import ctypes
    import os
    import signal
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def run_main(main):
    """Run a command-line entry point; a BookError ends it with its message."""
    try:
        main(sys.argv[1:])
    except BookError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)
