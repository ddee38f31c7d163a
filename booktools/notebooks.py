"""Per-language Jupyter notebooks, with the outputs the build produced.

    python -m booktools.notebooks [DEST]

For every evaluated notebook under `_build/eval/` it writes an English, a
Korean and a bilingual copy to DEST/{en,ko,bilingual}/ (default
`_build/notebooks`), copies the figures they use, and zips it all.

They are written as Jupyter would save them (nbformat), with the kernel
metadata this environment's kernel reports: JupyterLab writes the kernel's
`language_info` into a notebook it opens, and marks one that differs as
modified before any edit.
"""
import os
import pathlib
import re
import shutil
import sys
import zipfile

from booktools import BookError, ROOT, langs, quiz
from booktools.layout import BOOK, one_build_at_a_time
from booktools.nbfast import nbformat

EVAL_DIR = BOOK.eval

EDITIONS = {'en': 'en', 'ko': 'ko', 'bilingual': 'both'}
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


def toc_links(match):
    """A d2lbook toc block becomes links Jupyter can follow."""
    entries = [l.strip() for l in match.group(1).splitlines()
               if l.strip() and not l.startswith(':')]
    return '\n'.join(f'1. [{e}]({e}.ipynb)' for e in entries)


def convert(nb, lang):
    nb = nbformat.from_dict(nb)  # a copy: the caller's notebook stays as is
    nb.cells = langs.select_cells(nb.cells, lang,
                                  lambda source: TOC.sub(toc_links, source))
    nb.cells = quiz.notebook_cells(nb.cells, lang)  # answers in their own cell
    nb.metadata['language'] = 'ko' if lang == 'ko' else 'en'
    nb.metadata['language_info'] = LANGUAGE_INFO
    return nb


def export(dest):
    sources = sorted(EVAL_DIR.rglob('*.ipynb'))
    if not sources:
        raise BookError('no evaluated notebooks in _build/eval — run '
                        '`make html` first')
    if dest.exists():  # only ever replace an earlier export
        strays = [p.name for p in dest.iterdir()
                  if p.name not in (*EDITIONS, ZIP_NAME)]
        if strays:
            raise BookError(f'{dest}: holds {", ".join(sorted(strays))}, '
                            'which are not exported notebooks — choose an '
                            'empty or new folder')
        shutil.rmtree(dest)
    for edition, lang in EDITIONS.items():
        for src in sources:
            nb = nbformat.read(src, as_version=4)
            tgt = dest / edition / src.relative_to(EVAL_DIR)
            tgt.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(convert(nb, lang), tgt)
        shutil.copytree(ROOT / 'img', dest / edition / 'img')
    with zipfile.ZipFile(dest / ZIP_NAME, 'w', zipfile.ZIP_DEFLATED) as z:
        for path in sorted(dest.rglob('*')):
            if path.is_file() and path.name != ZIP_NAME:
                # A fixed date keeps the zip identical from build to build.
                info = zipfile.ZipInfo(str(path.relative_to(dest)),
                                       (2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
    return dest


def main(argv):
    dest = pathlib.Path(argv[0]) if argv else BOOK.notebooks
    lock = one_build_at_a_time()  # noqa: F841  (`make serve` may build)
    export(dest)
    print(f'[notebooks] {os.path.relpath(dest, ROOT)}/{{'
          f'{",".join(EDITIONS)}}} and {ZIP_NAME}', flush=True)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
