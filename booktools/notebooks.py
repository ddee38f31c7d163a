"""Per-language Jupyter notebooks, with the outputs the build produced, and
practice copies without them.

    python -m booktools.notebooks [DEST]

For every evaluated notebook under `_build/eval/` it writes an English, a
Korean and a bilingual copy to DEST/{en,ko,bilingual}/ (default
`_build/notebooks`), the same three without outputs to
DEST/{practice-en,practice-ko,practice-bilingual}/, the figures they use
(each edition's in its language), and zips it all.

The book's markup becomes what Jupyter shows: a `:numref:` is a Markdown
link to the sibling notebook's cell that opens with the section's heading
(each heading starts a cell), with the words and number the HTML page shows
("Section 4", "4.2절", "그림 1.1.1", read from the rendered page, so `make
html` must have run); `:label:` and `:width:` lines go; a figure gets its
numbered caption as an italic line under it. Any other role is an error
naming the notebook and cell.

Each notebook is converted on its own (`export_one`): one source, its
rendered page and the notebooks it links to are all it reads.

They are written as Jupyter would save them (nbformat), with the kernel
metadata this environment's kernel reports: JupyterLab writes the kernel's
`language_info` into a notebook it opens, and marks one that differs as
modified before any edit.
"""
import os
import pathlib
import posixpath
import re
import shutil
import sys
import zipfile

from booktools import BookError, ROOT, config, langs, quiz
from booktools.layout import BOOK, digest, one_build_at_a_time, read_entry, \
    stat_key, write_entry
from booktools.nbfast import nbformat

EVAL_DIR = BOOK.eval

# Folder: language. The practice copies have the same cells, no outputs.
EDITIONS = {'en': 'en', 'ko': 'ko', 'bilingual': 'both'}
PRACTICE = {f'practice-{edition}': lang for edition, lang in EDITIONS.items()}
ALL_EDITIONS = {**EDITIONS, **PRACTICE}
ZIP_NAME = 'deferred-init-notebooks.zip'
IN_HTML = 'notebooks'  # the folder under _build/html that holds them


# What ipykernel (IPythonKernel.language_info) reports for this Python; not
# imported from it, which would cost every build its import.
# tests/test_notebooks.py asks a running kernel that it is the same.
LANGUAGE_INFO = {
    'name': 'python', 'version': sys.version.split()[0],
    'mimetype': 'text/x-python', 'file_extension': '.py',
    'codemirror_mode': {'name': 'ipython', 'version': sys.version_info[0]},
    'pygments_lexer': 'ipython3', 'nbconvert_exporter': 'python'}


TOC = re.compile(r'^```toc\n(.*?)^```$', re.M | re.S)
# d2lbook's roles: :name:`value`.
ROLE = re.compile(r':([a-z]+):`([^`\n]*)`')
# Roles that only carry layout or a target: their line goes.
ATTRIBUTE_ROLES = {'label', 'width', 'height'}
IMAGE = re.compile(r'^!\[(.*?)\]\(([^)\s]+)\)')
NUMBER = re.compile(r'(Section|Fig\.|Table|Listing) ([\d.]+)')
# A link's fragment: the id of the cell that opens with the heading. JupyterLab
# 4 (Notebook.setFragment) also takes a heading's id, made from its text
# (rendermime's createHeaderId: spaces become '-'), but finds it only among
# the cells it has rendered, which a notebook being opened has not; and the
# browser percent-encodes a non-ASCII fragment, which it compares undecoded.
# A cell's id it finds in the model: it scrolls there in any case.
CELL_FRAGMENT = 'cell-id={}'


def toc_links(match):
    """A d2lbook toc block becomes links Jupyter can follow."""
    entries = [l.strip() for l in match.group(1).splitlines()
               if l.strip() and not l.startswith(':')]
    return '\n'.join(f'1. [{e}]({e}.ipynb)' for e in entries)


# What Page looks for in a page, in one pass: the tags that open and close
# blocks and figures, references (as Sphinx writes them, and finalize keeps
# them), images and caption numbers. Far faster than parsing all the HTML.
PAGE_PARTS = re.compile(
    r'<div\b[^>]*>|</div>|<figure\b|</figure>'
    r'|<a class="reference internal" href="(?P<href>[^"]*)">'
    r'<span class="std std-numref">(?P<words>[^<]*)</span>'
    r'|<img\b[^>]*?\bsrc="(?P<src>[^"]*)"'
    r'|<span class="caption-number">(?P<number>.*?)</span>')
KO_BLOCK = re.compile(r'<div\b[^>]*\bclass="(?=[^"]*\bcontainer\b)'
                      r'(?=[^"]*\bko\b)')


class Page:
    """What a rendered page says of its references and figures: for each
    `:numref:` target id, its href and its words in English and Korean; for
    each numbered figure, in order, its image's file name and number."""

    def __init__(self, path):
        self.refs, self.figures = {}, []
        try:
            text = path.read_text(encoding='utf-8')
        except FileNotFoundError:
            raise BookError(f'{os.path.relpath(path, ROOT)}: missing — run '
                            '`make html` before exporting notebooks')
        divs = []  # True for each open Korean block
        figure = None
        for m in PAGE_PARTS.finditer(text):
            tag = m.group(0)
            if tag.startswith('<div'):
                divs.append(bool(KO_BLOCK.match(tag)))
            elif tag == '</div>':
                if divs:
                    divs.pop()
            elif tag == '<figure':
                figure = [None, None]
            elif tag == '</figure>':
                if figure and figure[1]:
                    self.figures.append(tuple(figure))
                figure = None
            elif m['words'] is not None:
                self.reference(m['href'], m['words'].strip(), any(divs))
            elif m['src'] is not None:
                if figure is not None and figure[0] is None:
                    figure[0] = posixpath.basename(m['src'])
            elif figure is not None:
                # Before finalize "Fig. 1.1.1 ", after it also "/ 그림 1.1.1".
                number = NUMBER.search(m['number'])
                if number:
                    figure[1] = number.group(0)

    def reference(self, href, words, korean):
        page, _, ident = href.partition('#')
        ref = self.refs.setdefault(ident, {'page': page})
        # The pages' Korean blocks say it in Korean: finalize does it on the
        # page, ko_numref here (it leaves Korean words alone).
        ko = langs.KO_NUMREF.sub(langs.ko_numref, words)
        if korean:
            ref['ko'] = ko
        else:
            ref.setdefault('en', words)
            ref.setdefault('ko', ko)


def split_at_headings(nb):
    """Each heading outside the language blocks starts a Markdown cell, so
    that a link to its cell (`#cell-id=...`) opens at the heading (and
    JupyterLab can fold the section there). A split cell's pieces after the first
    get ids `<id>-1`, `<id>-2`, ...; `nb` is changed in place."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != 'markdown':
            cells.append(cell)
            continue
        pieces = [[]]
        for line, part in langs.walk(cell.source):
            if part is None and langs.HEADING.match(line) and \
                    ''.join(pieces[-1]).strip():
                pieces.append([])
            pieces[-1].append(line)
        for n, lines in enumerate(pieces):
            piece = nbformat.from_dict(cell) if n else cell
            piece.source = '\n'.join(lines).strip('\n')
            if n:
                piece.id = f'{cell.id}-{n}'
            cells.append(piece)
    nb.cells = cells
    return nb


def labelled_headings(nb):
    """{label: (heading Markdown, cell id)}: for each `:label:` in the
    notebook's prose, the heading of the section it is in."""
    found, heading = {}, (None, None)
    for cell in nb.cells:
        if cell.cell_type != 'markdown':
            continue
        for line, part in langs.walk(cell.source):
            if part in (langs.CODE, langs.FENCE_LINE):
                continue
            h = langs.HEADING.match(line)
            if h:
                heading = (h.group(2).strip(), cell.get('id'))
            for role, value in ROLE.findall(line):
                if role == 'label':
                    found[value] = heading
    return found


class Context:
    """What converting one source needs from outside it: its page, and the
    labels of the notebooks it links to (each read once)."""

    def __init__(self, rel, nb):
        self.rel = rel  # the source's path under _build/eval, POSIX
        self.page = Page(BOOK.html / pathlib.PurePosixPath(rel)
                         .with_suffix('.html'))
        self._labels = {rel: labelled_headings(nb)}

    def linked(self):
        """The other notebooks whose labels the conversion read."""
        return sorted(set(self._labels) - {self.rel})

    def labels(self, rel):
        if rel not in self._labels:
            path = EVAL_DIR / rel
            if not path.exists():
                raise BookError(f'{rel}: linked to by {self.rel}, but not '
                                'an evaluated notebook — run `make html`')
            self._labels[rel] = labelled_headings(split_at_headings(
                nbformat.read(path, as_version=4)))
        return self._labels[rel]


class Converter:
    """One source's Markdown in one edition's language."""

    def __init__(self, ctx, lang):
        self.ctx, self.lang = ctx, lang
        self.figures = iter(ctx.page.figures)

    def where(self, cell):
        """The source and the notebook's cell (1-based, each heading
        outside the language blocks starting one)."""
        source = pathlib.PurePosixPath(self.ctx.rel).with_suffix('.md')
        return f'{source}: cell {cell}'

    def numref(self, label, words_lang, cell):
        import docutils.nodes  # how Sphinx makes a label's HTML id
        if '<' in label:
            raise BookError(f'{self.where(cell)}: :numref:`{label}` — an '
                            'explicit title is not supported; write '
                            ':numref:`label`')
        ident = docutils.nodes.make_id(label)
        ref = self.ctx.page.refs.get(ident)
        if ref is None and not config.warning_is_error():
            # Sphinx said it (config.ini lets its warnings through) and the
            # page shows the bare label: so does the notebook.
            return label
        if ref is None or words_lang not in ref:
            raise BookError(f'{self.where(cell)}: :numref:`{label}` is not on '
                            'the rendered page — run `make html`, or fix the '
                            'label')
        here = pathlib.PurePosixPath(self.ctx.rel)
        page = ref['page'] or here.name
        target = posixpath.normpath(str(here.parent / page))
        target = str(pathlib.PurePosixPath(target).with_suffix('.ipynb'))
        labels = self.ctx.labels(target)
        if label not in labels or labels[label][0] is None:
            raise BookError(f'{self.where(cell)}: :numref:`{label}` — no '
                            f'heading before :label:`{label}` in {target}')
        link = str(pathlib.PurePosixPath(page).with_suffix('.ipynb'))
        if not labels[label][1]:
            raise BookError(f'{target}: the cell with the heading '
                            f'{labels[label][0]!r} has no id')
        fragment = CELL_FRAGMENT.format(labels[label][1])
        return f'[{ref[words_lang]}]({link}#{fragment})'

    def roles(self, line, part, cell):
        """A line's roles resolved (None: the line goes)."""
        words_lang = part if part in ('en', 'ko') else (
            'ko' if self.lang == 'ko' else 'en')
        found = ROLE.findall(line)
        unknown = [r for r, _ in found
                   if r not in ATTRIBUTE_ROLES and r != 'numref']
        if unknown:
            raise BookError(f'{self.where(cell)}: the role :{unknown[0]}: in '
                            f'"{line.strip()}" has no notebook form — use '
                            ':numref: or plain text, or teach '
                            'booktools/notebooks.py the role')
        if found and all(r in ATTRIBUTE_ROLES for r, _ in found) and \
                not ROLE.sub('', line).strip():
            return None
        return ROLE.sub(lambda m: '' if m[1] in ATTRIBUTE_ROLES else
                        self.numref(m[2], words_lang, cell), line)

    def caption(self, line, part, cell):
        """The numbered caption under a figure, as the page numbers it."""
        m = IMAGE.match(line)
        if not m or not m.group(1).strip():
            return None  # no caption: Sphinx numbers none
        name = posixpath.basename(m.group(2))
        figure = next(self.figures, None)
        if figure is None or figure[0] != name:
            raise BookError(f'{self.where(cell)}: the figure {name} is not '
                            'numbered on the rendered page — run `make html`')
        number = figure[1]
        lang = part if part in ('en', 'ko') else self.lang
        ko_number = langs.KO_NUMREF.sub(langs.ko_numref, number)
        text = m.group(1)
        if lang == 'both' and langs.SEP in text:
            en, ko = (langs.pick(text, 'en'), langs.pick(text, 'ko'))
            return f'*{number} {en}{langs.SEP}{ko_number} {ko}*'
        if lang == 'ko':
            return f'*{ko_number} {langs.pick(text, "ko")}*'
        return f'*{number} {langs.pick(text, "en")}*'

    def markdown(self, source, cell):
        source = TOC.sub(toc_links, source)
        out = []
        for line, part in langs.walk(source):
            if part in (langs.CODE, langs.FENCE_LINE):
                out.append(line)
                continue
            resolved = self.roles(line, part, cell)
            if resolved is None:
                continue
            out.append(resolved)
            caption = self.caption(resolved, part, cell)
            if caption:
                out += ['', caption]
        return '\n'.join(out)


def stable_ids(cells, known):
    """Cells made here (a quiz's question and answer) get ids from the cell
    before them, not nbformat's random ones: two exports are the same."""
    before, n = 'cell', 0
    for cell in cells:
        if cell.get('id') in known:
            before, n = cell.id, 0
        else:
            n += 1
            cell.id = f'{before}-q{n}'


def convert(nb, lang, ctx):
    """`nb` (an evaluated notebook) in one language, its markup resolved."""
    nb = nbformat.from_dict(nb)  # a copy: the caller's notebook stays as is
    converter = Converter(ctx, lang)
    for n, cell in enumerate(nb.cells, 1):
        if cell.cell_type == 'markdown':
            cell.source = converter.markdown(cell.source, n)
    nb.cells = langs.select_cells(nb.cells, lang)
    known = {cell.get('id') for cell in nb.cells}
    nb.cells = quiz.notebook_cells(nb.cells, lang)  # answers in their own cell
    stable_ids(nb.cells, known)
    nb.metadata['language'] = 'ko' if lang == 'ko' else 'en'
    nb.metadata['language_info'] = LANGUAGE_INFO
    return nb


def practice(nb):
    """The same notebook to work through: no outputs, nothing run."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == 'code':
            cell.outputs = []
            cell.execution_count = None
    return nb


def export_one(src, dest):
    """One evaluated notebook -> its copy in every edition under `dest`;
    returns the files written and the notebooks whose labels it used."""
    rel = src.relative_to(EVAL_DIR).as_posix()
    nb = split_at_headings(nbformat.read(src, as_version=4))
    ctx = Context(rel, nb)
    written = []
    for edition, lang in EDITIONS.items():
        converted = convert(nb, lang, ctx)
        for folder, copy in ((edition, converted),
                             (f'practice-{edition}', practice(converted))):
            tgt = dest / folder / rel
            tgt.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(copy, tgt)
            written.append(tgt)
    return written, ctx.linked()


def copy_figures(dest):
    """img/ for every edition: an SVG's labels in the edition's language;
    unchanged files keep their dates, and figures gone from img/ go."""
    for edition, lang in ALL_EDITIONS.items():
        langs.mirror_tree(ROOT / 'img', dest / edition / 'img', lang)


def _signature(src, tool, numbers, links, anchors):
    """What one notebook's export read, as stat() and digests say it: its
    evaluated notebook, the labels and headings of the notebooks it links
    to (their `anchors`, not their stat: a prose edit elsewhere in a linked
    notebook changes nothing here), the book's section and figure numbers
    (which its page's words and captions come from) and the converting
    code. The same signature, the same files."""
    return [tool, numbers, stat_key(src),
            [[rel, anchors.get(rel)] for rel in links]]


def _anchors(src, known):
    """The digest of what a notebook linking to `src` reads from it (its
    labels, their headings and cell ids), and the stat it was taken at;
    `known` is the last export's [stat, digest], reused while the stat
    holds."""
    import json
    mark = stat_key(src)
    if isinstance(known, list) and len(known) == 2 and known[0] == mark:
        return known
    found = labelled_headings(split_at_headings(
        nbformat.read(src, as_version=4)))
    return [mark, digest(json.dumps(found, sort_keys=True))]


def _outputs(dest, rel):
    return [dest / edition / rel for edition in ALL_EDITIONS]


def _write_zip(dest, fresh=None):
    """The zip of everything under `dest`, replaced whole, never
    half-written. Only the members named in `fresh` (all if None, or if the
    last zip cannot be read) are read and compressed again; the others are
    copied from the last zip as they are, compressed: a changed notebook
    costs its own files, not the book's. zipfile can write a member only
    from its uncompressed bytes, so the copy writes each kept member's
    local header and data itself (`_copy_member`); the result has the same
    bytes as a zip made from scratch (tests/test_notebooks.py)."""
    part = dest / (ZIP_NAME + '.part')
    names = sorted(path.relative_to(dest).as_posix()
                   for path in dest.rglob('*')
                   if path.is_file() and not path.name.startswith(ZIP_NAME))
    old, kept = None, {}
    if fresh is not None:
        try:
            old = zipfile.ZipFile(dest / ZIP_NAME)
            kept = {i.filename: i for i in old.infolist()}
        except (OSError, zipfile.BadZipFile):
            old = None
    try:
        try:
            _zip_members(part, dest, names, old, kept, fresh)
        except (AttributeError, zipfile.BadZipFile) as e:
            # zipfile's internals moved (another Python), or a damaged
            # member: a zip from scratch is only slower.
            print(f'[notebooks] {ZIP_NAME}: made from scratch '
                  f'({type(e).__name__}: {e})', file=sys.stderr)
            _zip_members(part, dest, names, None, {}, None)
    finally:
        if old is not None:
            old.close()
    os.replace(part, dest / ZIP_NAME)


def _zip_members(part, dest, names, old, kept, fresh):
    with zipfile.ZipFile(part, 'w', zipfile.ZIP_DEFLATED) as z:
        for name in names:
            if old is not None and name not in fresh and name in kept:
                _copy_member(old, kept[name], z)
                continue
            # A fixed date keeps the zip identical from build to build.
            info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, (dest / name).read_bytes())


def _copy_member(source, info, target):
    """Append `info`'s member of the open zip `source` to the zip `target`
    (open for writing) without decompressing it. It uses what CPython
    3.11's zipfile keeps of an open zip (`fp`, `filelist`, `NameToInfo`,
    `start_dir`); should those change, the AttributeError makes
    `_write_zip` start from scratch, and tests/test_notebooks.py compares
    the bytes with a zip made from scratch."""
    import copy
    import struct
    source.fp.seek(info.header_offset)
    header = source.fp.read(zipfile.sizeFileHeader)
    if header[:4] != zipfile.stringFileHeader:
        raise zipfile.BadZipFile(f'{info.filename}: no local header')
    name_size, extra_size = struct.unpack('<HH', header[26:30])
    source.fp.seek(info.header_offset + zipfile.sizeFileHeader + name_size
                   + extra_size)
    data = source.fp.read(info.compress_size)
    new = copy.copy(info)
    new.header_offset = target.fp.tell()
    target.fp.write(new.FileHeader())
    target.fp.write(data)
    target.filelist.append(new)
    target.NameToInfo[new.filename] = new
    target.start_dir = target.fp.tell()
    target._didModify = True


def record_path(dest):
    """Where the export into `dest` records what it wrote."""
    return BOOK.exports / f'{digest(str(dest.resolve()))[:16]}.json'


def export(dest):
    """Export into `dest`, redoing only what changed since the last export
    there: the notebooks whose signature differs, the figures if img/ or the
    code changed, and the zip if anything in it did. What each export wrote
    is recorded under BOOK.exports, written last: an export cut short is
    redone."""
    import json
    sources = sorted(EVAL_DIR.rglob('*.ipynb'))
    if not sources:
        raise BookError('no evaluated notebooks in _build/eval — run '
                        '`make html` first')
    if dest.exists():  # only ever replace an earlier export
        strays = [p.name for p in dest.iterdir()
                  if p.name not in ALL_EDITIONS and
                  p.name not in (ZIP_NAME, ZIP_NAME + '.part')]
        if strays:
            raise BookError(f'{dest}: holds {", ".join(sorted(strays))}, '
                            'which are not exported notebooks — choose an '
                            'empty or new folder')
    record = record_path(dest)
    try:
        old = json.loads(read_entry(record) or 'null') if dest.exists() \
            else None
    except ValueError:
        old = None
    if not isinstance(old, dict) or \
            set(old) != {'notebooks', 'figures', 'anchors'}:
        old = None
        shutil.rmtree(dest, ignore_errors=True)  # an export of unknown age
    known = old['notebooks'] if old else {}
    # The converting code, and the code that words the pages they read
    # (site.py, render.py: their files, not imported here).
    tool = digest(*(pathlib.Path(m.__file__) for m in (
        sys.modules[__name__], langs, quiz)),
        *(pathlib.Path(__file__).with_name(f) for f in ('site.py',
                                                        'render.py')),
        LANGUAGE_INFO, sorted(ALL_EDITIONS))
    numbers = digest(BOOK.numbers)
    marks = old['anchors'] if old else {}
    anchored = {}
    for src in sources:
        rel = src.relative_to(EVAL_DIR).as_posix()
        anchored[rel] = _anchors(src, marks.get(rel))
    anchors = {rel: mark[1] for rel, mark in anchored.items()}
    done, changed, fresh = {}, False, set()
    for src in sources:
        rel = src.relative_to(EVAL_DIR).as_posix()
        entry = known.get(rel)
        if entry and entry[0] == _signature(src, tool, numbers, entry[1],
                                            anchors) \
                and all(p.exists() for p in _outputs(dest, rel)):
            done[rel] = entry
            continue
        written, links = export_one(src, dest)
        fresh.update(p.relative_to(dest).as_posix() for p in written)
        done[rel] = [_signature(src, tool, numbers, links, anchors), links]
        changed = True
    for rel in set(known) - set(done):  # a notebook the book no longer has
        for path in _outputs(dest, rel):
            path.unlink(missing_ok=True)
        changed = True
    images = sorted(p for p in (ROOT / 'img').rglob('*') if p.is_file())
    figures = [tool, [[p.relative_to(ROOT).as_posix(), stat_key(p)]
                      for p in images]]
    if not old or old['figures'] != figures:
        copy_figures(dest)
        changed, fresh = True, None
    if changed or not (dest / ZIP_NAME).exists():
        _write_zip(dest, fresh if old else None)
    write_entry(record, json.dumps({'notebooks': done, 'figures': figures,
                                    'anchors': anchored}))
    return dest


def main(argv):
    dest = pathlib.Path(argv[0]) if argv else BOOK.notebooks
    lock = one_build_at_a_time()  # noqa: F841  (`make serve` may build)
    export(dest)
    print(f'[notebooks] {os.path.relpath(dest, ROOT)}/{{'
          f'{",".join(ALL_EDITIONS)}}} and {ZIP_NAME}', flush=True)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
