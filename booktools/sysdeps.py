"""Make sure the Debian packages a target needs are installed.

    python -m booktools.sysdeps GROUP...   (html, pdf, test)

As root it installs what is missing with apt-get; otherwise it prints the
exact command to run and exits 1.
"""
import os
import subprocess

from booktools import BookError

PACKAGES = {
    # MXNet's wheel links GCC's OpenMP and quad-precision runtimes without
    # shipping them; most systems have both (they come with gcc), minimal
    # ones do not (`ldd libmxnet.so` on a bare Debian 12).
    'html': ['libgomp1', 'libquadmath0'],
    # xelatex; latex-extra has the packages Sphinx and d2lbook load (titlesec,
    # fncychap, tabulary, ...) and pulls latex-recommended, whose polyglossia
    # sets Korean captions and line breaking (no xeCJK: texlive-lang-cjk and
    # texlive-lang-korean are not needed); fonts-recommended has the ZapfDingbats
    # metrics hyperref loads under xelatex; Noto CJK is every font of the book
    # (booktools.pdf replaces Sphinx's FreeSerif, and has no index, so neither
    # fonts-freefont-otf nor xindy); rsvg-convert turns SVG figures into PDF;
    # poppler (pdftotext, pdffonts, pdfimages) is what the PDF tests read with.
    'pdf': ['texlive-xetex', 'texlive-latex-extra', 'texlive-fonts-recommended',
            'latexmk', 'fonts-noto-cjk', 'librsvg2-bin', 'poppler-utils'],
    # A real browser for the page tests; Hangul fonts for its screenshots.
    # libatomic1: the node binary inside the playwright wheel links it.
    # Java runs the Nu HTML Checker (vnu.jar, from npm: see package.json).
    'test': ['chromium', 'fonts-noto-cjk', 'libatomic1',
             'openjdk-17-jre-headless'],
    # npm, for `make test`'s package.json, when no npm is on PATH (Node.js
    # from elsewhere may bring its own).
    'npm': ['npm'],
}


def missing(packages):
    try:
        result = subprocess.run(
            ['dpkg-query', '-W', '-f=${Package} ${db:Status-Status}\n',
             *packages], capture_output=True, text=True)
    except FileNotFoundError:
        raise BookError('dpkg-query not found: this needs Debian or Ubuntu; '
                        f'elsewhere install the equivalents of: '
                        f'{" ".join(packages)}')
    installed = {line.split()[0] for line in result.stdout.splitlines()
                 if line.endswith(' installed')}
    return [p for p in packages if p not in installed]


def ensure(*groups):
    wanted = list(dict.fromkeys(p for g in groups for p in PACKAGES[g]))
    todo = missing(wanted)
    if not todo:
        return
    command = ['apt-get', 'install', '-y', '--no-install-recommends', *todo]
    if os.geteuid() != 0:
        raise BookError(f'`make {" ".join(groups)}` needs Debian packages; '
                        f'run:\n  sudo apt-get update && sudo '
                        f'{" ".join(command)}')
    print(f'[sysdeps] installing {" ".join(todo)}', flush=True)
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    for step in (['apt-get', 'update', '-qq'], command):
        if subprocess.run(step, env=env).returncode != 0:
            raise BookError(f'`{" ".join(step)}` failed (see above); fix '
                            'apt and run make again')


def main(argv):
    if not argv or any(group not in PACKAGES for group in argv):
        raise BookError(f'usage: python -m booktools.sysdeps '
                        f'{{{",".join(PACKAGES)}}}...')
    ensure(*argv)


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
