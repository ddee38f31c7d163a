"""The `_build/` folder: where every step writes, one build at a time, and
how a step knows that what it wrote is still up to date.

Every path under `_build/` comes from a `Layout`. Where d2lbook has the
notion (its output folder, and the eval, rst, html and pdf folders in it),
the path is read from d2lbook's own `Config`, so a `[build] output_dir` in
config.ini moves the book's folders and d2lbook's together. The PDF
editions are d2lbook projects of their own under `_build/lang/<edition>/`,
each with its own `Layout`.

Up to date means: made from the same inputs. `digest()` is the one way the
book hashes inputs (cache keys, fingerprints, stamps), and a `Stamp` is a
file that records the digest an output was made from. Cache entries are
written whole or not at all (`write_entry`, `read_entry`): a killed build
never leaves half an entry behind, and a damaged one reads as missing.
"""
import hashlib
import os
import pathlib
import shutil

from booktools import ROOT


class Layout:
    """The folders and files of one d2lbook project's `_build/`."""

    def __init__(self, root=ROOT):
        self.root = root = pathlib.Path(root)
        dirs = _d2lbook_dirs(root)
        self.build = root / dirs['tgt_dir']
        self.eval = root / dirs['eval_dir']
        self.rst = root / dirs['rst_dir']
        self.html = root / dirs['html_dir']
        self.pdf = root / dirs['pdf_dir']
        # The book's own, which d2lbook does not know of.
        self.cache = self.build / 'cache'
        self.lang = self.build / 'lang'  # one d2lbook project per PDF edition
        self.notebooks = self.build / 'notebooks'  # `make notebooks`
        self.notebooks_in_html = self.html / 'notebooks'  # what pages link to
        self.lock = self.build / '.lock'
        # `make html`'s target, dated when its build started (see build.py).
        self.start = self.build / '.html-start'
        self.done = self.html / '.done'
        self.timings = self.build / 'timings.json'  # for `make bench`
        self.serve_failed = self.build / '.serve-failed'  # for `make serve`
        self.sources_list = self.build / 'sources.txt'  # for the Makefile
        # Sphinx's section and figure numbers, written when they change:
        # an exported notebook's links depend on them (booktools.notebooks).
        self.numbers = self.cache / 'numbers.json'
        self.exports = self.cache / 'exports'  # what each export last wrote
        self.mutants = self.build / 'mutants'  # `make mutants`' scratch copies

    def doctrees(self, builder):
        return self.build / 'doctrees' / builder

    @classmethod
    def of_sphinx(cls, app):
        """The layout of the project a Sphinx application builds: the one
        whose rst folder is Sphinx's source folder (the book's, or a PDF
        edition's scratch project)."""
        srcdir = pathlib.Path(app.srcdir).resolve()
        for root in srcdir.parents:
            if (root / 'config.ini').exists():
                layout = cls(root)
                if layout.rst.resolve() == srcdir:
                    return layout
        raise ValueError(f'{srcdir}: not the rst folder of a d2lbook project')

    def rel(self, path):
        return os.path.relpath(path, self.root)


def _d2lbook_dirs(root):
    """d2lbook's Config reads config.ini from, and checks index.md in, the
    current folder (and exits if it is missing): give it the project's."""
    import logging
    from d2lbook.config import Config
    names = ('tgt_dir', 'eval_dir', 'rst_dir', 'html_dir', 'pdf_dir')
    if not (root / 'config.ini').exists() or not (root / 'index.md').exists():
        return dict(zip(names, ('_build', '_build/eval', '_build/rst',
                                '_build/html', '_build/pdf')))
    cwd = os.getcwd()
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)  # "Load configure from config.ini"
    os.chdir(root)
    try:
        config = Config()
    finally:
        os.chdir(cwd)
        logging.disable(previous)
    return {name: getattr(config, name) for name in names}


BOOK = Layout(ROOT)


def one_build_at_a_time(layout=BOOK):
    """Hold `_build/.lock` for the whole build: a `make html` started while
    `make serve` rebuilds waits for it instead of writing the same files.
    The lock lasts as long as the returned file stays open."""
    import fcntl
    layout.build.mkdir(parents=True, exist_ok=True)
    lock = open(layout.lock, 'w')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print('waiting for another build of this book (make serve?) '
              'to finish', flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


# --- digests and stamps ------------------------------------------------------

def digest(*parts):
    """The SHA-256 of a sequence of parts, as hex. A part is bytes, text, a
    path (its bytes; a missing file counts as empty) or any other value (its
    repr). Each part is hashed on its own first, so ('ab', 'c') and
    ('a', 'bc') differ."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, pathlib.PurePath):
            part = read_bytes(part)
        elif isinstance(part, str):
            part = part.encode('utf-8')
        elif not isinstance(part, (bytes, bytearray)):
            part = repr(part).encode('utf-8')
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def stat_key(path):
    """[mtime_ns, size] of a file, or None when it is missing: what a
    signature records so that an unchanged file costs a stat(), not a hash."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_mtime_ns, st.st_size]


def content_id(text, size):
    """A short id of a text, recorded in a file that people and other tools
    read (TWINS.tsv): the first `size` hex digits of its plain SHA-256."""
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:size]


def read_bytes(path):
    try:
        return pathlib.Path(path).read_bytes()
    except FileNotFoundError:
        return b''


class Stamp:
    """A file holding the digest of what an output was made from."""

    def __init__(self, path):
        self.path = pathlib.Path(path)

    def holds(self, value):
        try:
            return self.path.read_text(encoding='utf-8') == value
        except (FileNotFoundError, UnicodeDecodeError):
            return False

    def write(self, value):
        write_atomic(self.path, value)

    def remove(self):
        self.path.unlink(missing_ok=True)


def fresh_folder(folder, value, *others):
    """`folder`, emptied (with the `others`) unless its stamp says it was
    made from `value`; then stamped with it. For output that older code or
    converters made and that must be rebuilt, not reused."""
    stamp = Stamp(pathlib.Path(folder) / '.booktools-digest')
    if not stamp.holds(value):
        for path in (folder, *others):
            shutil.rmtree(path, ignore_errors=True)
        pathlib.Path(folder).mkdir(parents=True)
        stamp.write(value)
    return folder


# --- cache entries -------------------------------------------------------------

def write_atomic(path, text):
    """Write a file whole or not at all: a killed build must never leave
    half of it behind."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(text, encoding='utf-8')
    os.replace(tmp, path)


def read_entry(path):
    """The text of a cache entry made by write_entry, or None when it is
    missing or damaged: its first line is the digest of the rest."""
    try:
        check, _, text = pathlib.Path(path).read_text(
            encoding='utf-8').partition('\n')
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text if check == digest(text) else None


def write_entry(path, text):
    write_atomic(path, digest(text) + '\n' + text)


def read_record(path, key):
    """The {name: ...} a build recorded in the JSON file `path` under `key`
    (kept at ''), or {} when it is missing, damaged or made under another
    key: a record of what was found, reused while the inputs' stat holds."""
    import json
    try:
        known = json.loads(pathlib.Path(path).read_text(encoding='utf-8'))
    except (FileNotFoundError, ValueError):
        return {}
    return known if isinstance(known, dict) and known.get('') == key else {}


def write_if_changed(path, data):
    """Keep mtimes of unchanged files, so that warm builds reuse everything."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True
