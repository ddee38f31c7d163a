"""Build the PDF books: English, Korean and bilingual.

    python -m booktools.pdf [en] [ko] [bilingual]

Writes `_build/pdf/deferred-init-{en,ko,bilingual}.pdf` (all three when no
edition is named). Run `make html` first: the PDFs are made from the evaluated
notebooks in `_build/eval/`, and no notebook is ever executed here.

Each edition is a scratch d2lbook project under `_build/lang/<edition>/`:
a generated `config.ini` (one half of the `English / 한국어` title, Sphinx's
`language`), the Markdown sources and the evaluated notebooks passed through
`booktools.langs.select`, and `img/`. d2lbook's rst step renders it (outputs
kept verbatim, as for the HTML book), Sphinx's LaTeX builder writes the .tex
and latexmk runs xelatex. On top of d2lbook's PDF route:

- fonts from `[pdf]` in config.ini for all text, code included (the Noto CJK
  fonts cover Hangul); Korean lines break between words (어절), never
  inside one;
  polyglossia's Korean captions (차례, 그림, 제 1 장) in the Korean edition;
- a title page in the edition's language: its title and author (the halves
  of config.ini's `English / 한국어` values), its release and a date written
  the way the language writes them, on the edition's paper (PAPER);
- cross-references to a notebook read `3장`, to a section `3.1절`, in the
  Korean edition, as in the HTML (polyglossia's would say `제 3 절`);
- no index, hence no xindy; PDF title, author and language in the metadata;
- a glyph missing from the fonts fails the build, naming the character, the
  font and where the character is in the sources;
- a LaTeX error is reported with the `!` lines of the .log, not as `Error 12`;
- in the Korean and bilingual editions, a Korean block whose English changed
  since it was translated (booktools.twins) has a note in the margin.
"""
import concurrent.futures
import configparser
import os
import pathlib
import re
import shutil
import subprocess
import sys

from booktools import BookError, ROOT, config, langs, quiz, twins
from booktools.book import notebook_sources
from booktools.layout import BOOK, Layout, Stamp, digest, one_build_at_a_time, \
    write_if_changed
from booktools.nbfast import nbformat

EVAL_DIR = BOOK.eval
LANG_DIR = BOOK.lang
PDF_DIR = BOOK.pdf
EDITIONS = {'en': 'en', 'ko': 'ko', 'bilingual': 'both'}
TOOLS = {'xelatex': 'texlive-xetex', 'latexmk': 'latexmk',
         'rsvg-convert': 'librsvg2-bin'}
# A4 everywhere: the paper of Korea and of most of the world's printers; in
# the US, printing "fit to page" on Letter loses nothing (README.md says so).
PAPER = {'en': 'a4paper', 'ko': 'a4paper', 'bilingual': 'a4paper'}
# The title page's date: "December 2, 2026", "2026년 12월 2일", never "02".
TODAY = {'en': '%B %-d, %Y', 'ko': '%Y년 %-m월 %-d일'}
# The word before the release number ("Release 0.1.0", "버전 0.1.0").
RELEASE = {'en': 'Release', 'ko': '버전'}
DEFAULT_FONTS = {'main_font': 'Noto Serif CJK KR',
                 'sans_font': 'Noto Sans CJK KR',
                 'mono_font': 'Noto Sans Mono CJK KR'}


def rel(path):
    return os.path.relpath(path, ROOT)


def shown(path):
    """A path relative to the book if it is in it, else absolute."""
    path = pathlib.Path(path).resolve()
    return rel(path) if ROOT in path.parents else str(path)


# --------------------------------------------------------------------------
# Checks before anything is built

def check_tools():
    missing = [f'{tool} (Debian {package})' for tool, package in TOOLS.items()
               if not shutil.which(tool)]
    if missing:
        raise BookError(f'{", ".join(missing)} not found — run `make pdf`, '
                        'or `python -m booktools.sysdeps pdf` as root')


def evaluated(src):
    return EVAL_DIR / pathlib.Path(rel(src)).with_suffix('.ipynb')


def check_evaluated(sources):
    """The PDF is typeset from `make html`'s notebooks: they must be
    up to date."""
    for src in sources:
        nb = evaluated(src)
        if not nb.exists():
            raise BookError(f'{rel(nb)} missing — run `make html` first')
        if nb.stat().st_mtime < src.stat().st_mtime:
            raise BookError(f'{rel(nb)} is older than {rel(src)} — run '
                            '`make html` first')


# --------------------------------------------------------------------------
# The scratch d2lbook project of one edition

def edition_config(edition):
    """config.ini of the scratch project, derived from the book's own."""
    lang = EDITIONS[edition]
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / 'config.ini', encoding='utf-8')
    for section in ('project', 'build', 'pdf'):
        if not cfg.has_section(section):
            cfg.add_section(section)
    project, build, pdf = cfg['project'], cfg['build'], cfg['pdf']
    name = project.get('name', 'book')
    project['name'] = f'{name}-{edition}'
    project['title'] = langs.pick(project.get('title', ''), lang)
    project['author'] = langs.pick(project.get('author', ''), lang)
    code = 'ko' if lang == 'ko' else project.get('lang', 'en') or 'en'
    project['lang'] = code
    others = [line for line in build.get('sphinx_configs', '').splitlines()
              if line.strip() and not re.match(r'\s*language\s*=', line)]
    build['sphinx_configs'] = '\n'.join(others + [f"language = '{code}'"])
    # Never execute: the notebooks come from _build/eval, made by `make html`.
    build['eval_notebook'] = 'False'
    build['dependencies'] = ''
    build['warning_is_error'] = 'True'
    fonts = {k: pdf.get(k, '').strip() or v for k, v in DEFAULT_FONTS.items()}
    for key in DEFAULT_FONTS:  # set once, in conf_overrides()
        pdf[key] = ''
    return cfg, fonts, code


# Put first in a stale Korean block: LaTeX (a raw block pandoc passes on to
# Sphinx) for the margin note that conf_overrides() defines.
STALE_MARK = '```{=latex}\n\\booktoolstwinstale\n```'


def mark_stale(markdown, stale):
    """`markdown` with STALE_MARK opening each `::: ko` block whose flag in
    `stale` (an iterator over the flags of the book's blocks) is true."""
    lines = markdown.split('\n')
    marked = [b.line for b in langs.blocks(markdown)
              if b.lang == 'ko' and next(stale, False)]
    for line in reversed(marked):
        lines.insert(line, STALE_MARK + '\n')  # pandoc: a blank line after
    return '\n'.join(lines)


def select_notebook(path, lang, stale=()):
    """An evaluated notebook with one language's markdown; code untouched.
    `stale`: a flag for each `::: ko` block, in order (booktools.twins)."""
    nb = nbformat.read(path, as_version=4)
    flags = iter(stale if lang in ('ko', 'both') else ())
    cells = langs.select_cells(nb.cells, lang,
                               lambda source: mark_stale(source, flags))
    nb.cells = quiz.review_cells(cells, lang)  # answers at the chapter's end
    return nbformat.writes(nb)


def prepare(edition, sources):
    """Write `_build/lang/<edition>/`; return its directory."""
    lang = EDITIONS[edition]
    proj = LANG_DIR / edition
    cfg, fonts, code = edition_config(edition)
    proj.mkdir(parents=True, exist_ok=True)
    with open(proj / 'config.ini', 'w', encoding='utf-8') as f:
        cfg.write(f)
    wanted = set()
    record = twins.Record.read(ROOT / twins.NAME)
    for src in sources:
        md = proj / rel(src)
        stale = record.flags(pathlib.Path(rel(src)).as_posix(),
                             src.read_text(encoding='utf-8'))
        nb = Layout(proj).eval / pathlib.Path(rel(src)).with_suffix(
            '.ipynb')
        wanted.add(md)
        write_if_changed(md, langs.select(src.read_text(encoding='utf-8'),
                                          lang))
        write_if_changed(nb, select_notebook(evaluated(src), lang, stale))
        # d2lbook re-evaluates a notebook whose .md is newer: never here.
        if md.stat().st_mtime >= nb.stat().st_mtime:
            t = nb.stat().st_mtime - 1
            os.utime(md, (t, t))
    for old in proj.rglob('*.md'):  # a chapter removed from the book
        if old not in wanted and Layout(proj).build not in old.parents:
            old.unlink()
    for res in cfg['build'].get('resources', '').split():
        if (ROOT / res).is_dir():
            langs.mirror_tree(ROOT / res, proj / res, lang)
        elif (ROOT / res).is_file():
            write_if_changed(proj / res, (ROOT / res).read_bytes())
    render_rst(proj, conf_overrides(cfg, fonts, code, PAPER[edition]))
    return proj


def render_rst(proj, overrides):
    """d2lbook's rst step in the scratch project, as the HTML build does;
    reST made by older code of this module is rebuilt too."""
    from booktools import render
    layout = Layout(proj)
    render.run_rst(layout, also=(pathlib.Path(__file__),))
    render.finish_conf(layout.rst / 'conf.py', overrides)


def tex_escape(text):
    specials = {'\\': r'\textbackslash{}', '{': r'\{', '}': r'\}',
                '#': r'\#', '$': r'\$', '%': r'\%', '&': r'\&', '_': r'\_',
                '^': r'\^{}', '~': r'\~{}'}
    return ''.join(specials.get(c, c) for c in text)


def korean_numrefs(app, doctree, docname):
    """In the Korean edition, `:numref:` to a notebook reads `3장` and to a
    section inside one `3.1절` (AUTHORING.md), as the HTML says. The LaTeX
    writer prints a reference as a format around LaTeX's own number (its
    `title`); Sphinx does not number sections for LaTeX, so the word is
    chosen by where the target is: a notebook's title is a chapter."""
    from docutils import nodes
    from sphinx import addnodes
    # :label:s are unique in the book; a reference inside its own document
    # has only the label's id (`refid`), others `%doc#id`.
    where = {labelid: doc for doc, labelid, _ in
             app.env.get_domain('std').labels.values()}
    for ref in doctree.findall(addnodes.number_reference):
        if ref.get('title') != KO_SECTION:
            continue
        labelid = ref.get('refid') or ref.get('refuri', '').partition('#')[2]
        if labelid not in where:
            continue
        tree = app.env.get_doctree(where[labelid])
        section = next((s for s in tree.findall(nodes.section)
                        if labelid in s['ids']), None)
        if section is not None and isinstance(section.parent, nodes.section):
            ref['title'] = '%s절'


KO_SECTION = '%s장'


def conf_overrides(cfg, fonts, code, paper='a4paper'):
    """Appended to the scratch conf.py: fonts, language, metadata, the
    title page, no index."""
    title = tex_escape(cfg['project'].get('title', ''))
    author = tex_escape(cfg['project'].get('author', ''))

    def font(command, name, features=''):
        # Noto CJK has no italics: slant the upright shapes for \emph and
        # code comments rather than dropping the emphasis.
        return rf'\{command}{{{name}}}[AutoFakeSlant=0.2{features}]'
    fontpkg = '\n'.join([
        font('setmainfont', fonts['main_font']),
        font('setsansfont', fonts['sans_font']),
        # Code pastes as typed: no ligatures, whatever the font offers, and
        # no hyphen added to `collect_params()` broken across lines.
        font('setmonofont', fonts['mono_font'],
             ', HyphenChar=None, RawFeature={-liga;-calt}')])
    return f'''
# --- booktools.pdf overrides ---------------------------------------------
# docutils knows no LaTeX name for Korean; polyglossia's is `korean`. With it
# Sphinx loads polyglossia with \\setmainlanguage{{korean}}: 차례, 그림, 장.
from docutils.writers.latex2e import Babel as _Babel
_Babel.language_codes.setdefault('ko', 'korean')
latex_engine = 'xelatex'
# The book has no index entries: no index page, no xindy.
latex_use_xindy = False
latex_domain_indices = False
latex_elements.update({{
    'fontpkg': {fontpkg!r},
    'makeindex': '',
    'printindex': '',
}})
latex_elements['preamble'] += {PREAMBLE!r} + {metadata(title, author, code)!r}
latex_elements['preamble'] += {stale_note(code)!r}
# The title page (and the page headers) in the edition's language.
latex_elements['papersize'] = {paper!r}
latex_elements['releasename'] = {RELEASE.get(code, RELEASE['en'])!r}
today_fmt = {TODAY.get(code, TODAY['en'])!r}
''' + (korean_setup() if code == 'ko' else '')


def korean_setup():
    """Appended to the Korean edition's conf.py: chapter references."""
    return f'''
# Sphinx's Korean numbers a section reference `제 %s 절`: say 장 or 절.
numfig_format = dict(globals().get('numfig_format') or {{}},
                     section={KO_SECTION!r})
import sys as _sys
_sys.path.insert(0, {str(ROOT)!r})
from booktools import pdf as _pdf
_d2lbook_setup = setup


def setup(app):
    _d2lbook_setup(app)
    app.connect('doctree-resolved', _pdf.korean_numrefs)
'''


# Added to d2lbook's preamble (the fonts go to Sphinx's `fontpkg`).
PREAMBLE = r'''
% --- booktools.pdf ---------------------------------------------------------
% Korean breaks lines between words (어절), at spaces, as Korean books do,
% never between two syllables of a word ("일어 / 났다면"). XeTeX's ICU
% breaker (locale "ko") marks a break between any two syllables; at
% penalty 10000 none of those is taken. Its skip is zero: any stretch
% there spreads a justified line's slack between the syllables of every
% word ("파 라 미 터 를"); lines stretch at the spaces between words only.
% Polyglossia's Korean (the Korean edition's main language, and any
% \textkorean) sets the penalty back to 50 and the skip to .05em of
% stretch when it starts: its hook gets the same settings appended.
% Latin text is unaffected: ICU finds no break inside an English word.
% (Not xeCJK, which is made for Chinese and Japanese, nor kotex's xetexko,
% which would also change the fonts and the spacing around punctuation.)
\XeTeXlinebreaklocale "ko"
\XeTeXlinebreakpenalty 10000
\XeTeXlinebreakskip 0pt\relax
\makeatletter
\ifdefined\inlineextras@korean
  \g@addto@macro\inlineextras@korean{\XeTeXlinebreakpenalty 10000\relax
    \XeTeXlinebreakskip 0pt\relax}
\fi
\makeatother
% Copy and paste: XeTeX marks each run of text with the characters it came
% from (/ActualText), since reading the glyphs back is ambiguous: Noto CJK
% draws `-` with the glyph of U+2011, and `x - 1` would paste as `x ‑ 1`.
\XeTeXgenerateactualtext=1
% Tables: ragged-right cells (tabulary's L) instead of Sphinx's justified J,
% which stretches a narrow column of Korean letter by letter; and no column
% narrower than a short phrase.
\newcolumntype{T}{L}
\setlength{\tymin}{5em}
% Code: spaces are real characters, so that text copied out of the PDF keeps
% its indentation (Sphinx's code space is a kern; this is its definition with
% the kern replaced by the font's space glyph). Straight quotes come from
% Pygments' \textquotesingle, ligatures are off in \setmonofont.
\makeatletter
\def\spx@verbatim@space{%
  \nobreak\hskip\z@skip
  \discretionary{\copy\sphinxvisiblespacebox}{\sphinxafterbreak}%
                {\char32\relax}%
}
% The page after the table of contents is the front page's text: its footer
% should not say "Contents".
\g@addto@macro\sphinxtableofcontents{\markboth{}{}}
\makeatother
'''


def stale_note(code):
    """\\booktoolstwinstale: a note in the margin beside a Korean block whose
    English changed (mark_stale puts it there), in Korean in the Korean
    edition, in both languages in the bilingual one."""
    words = (r'번역 갱신 필요' if code == 'ko' else
             r'Korean twin stale\\번역 갱신 필요')
    # d2lbook's margin notes are 0.5in wide; the right margin has room for
    # 0.9in, and the words then break at spaces, not between syllables.
    return (r'''
% A Korean block whose English changed since it was translated.
\newcommand{\booktoolstwinstale}{{\setlength{\marginparwidth}{0.9in}%
  \marginpar{\footnotesize\raggedright\textbf{''' + words + r'''}}}}
''')


def metadata(title, author, code):
    # hyperref is loaded before the preamble; pdflang must be set in it.
    return (rf'''
\hypersetup{{pdftitle={{{title}}}, pdfauthor={{{author}}},
  pdflang={{{code}}}, pdfdisplaydoctitle=true,
  pdfcreator={{booktools.pdf (d2lbook, Sphinx, XeLaTeX)}}}}
''')


# --------------------------------------------------------------------------
# Sphinx LaTeX builder, latexmk, and what the .log says

def sphinx_latex(proj):
    from booktools import render
    layout = Layout(proj)
    rst_dir, out = layout.rst, layout.pdf
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'latex', '-c', str(rst_dir),
           str(rst_dir), str(out), '-W', '--keep-going', '-q']
    proc = subprocess.run(cmd, cwd=proj, capture_output=True, text=True)
    if proc.returncode != 0:
        output = (proc.stderr + proc.stdout).replace(str(rst_dir),
                                                     str(BOOK.rst))
        problems = render.explain_sphinx(output)
        raise BookError('\n'.join(problems) if problems else
                        f'Sphinx (LaTeX builder) failed:\n{output}')
    return out


def latexmk(tex):
    env = {**os.environ, 'LATEXOPTS': '-halt-on-error',
           'max_print_line': '10000'}  # one log line per message
    # -g: run even if an earlier run failed on the same .tex (a font or a
    # TeX package installed since); unchanged books never get here.
    cmd = ['latexmk', '-pdf', '-dvi-', '-ps-', '-silent', '-g',
           '-interaction=nonstopmode', '-file-line-error', tex.name]
    proc = subprocess.run(cmd, cwd=tex.parent, capture_output=True,
                          text=True, env=env, errors='replace')
    log = tex.with_suffix('.log')
    log_text = (log.read_text(encoding='utf-8', errors='replace')
                if log.exists() else '')
    errors = latex_errors(log_text, tex)
    if proc.returncode != 0 or errors:
        raise BookError(
            f'LaTeX failed on {rel(tex)} (full log: {rel(log)}):\n' +
            ('\n'.join(errors) if errors else
             (proc.stdout + proc.stderr)[-2000:] +
             '\n'.join(log_text.splitlines()[-20:])))
    return log_text


def tex_source(tex_lines, line, context):
    """`chapters/x.md` or `chapters/x.md:12`: where a line of the Sphinx .tex
    came from. The chapter is the nearest label above the line; the line is
    found if the token TeX stopped at (`\\foo` in `l.9 text \\foo`) is in
    that file."""
    md = None
    for text in reversed(tex_lines[:line]):
        m = re.search(r'\\label\{\\detokenize\{([^:}]+):', text)
        if m:
            md = m.group(1) + '.md'
            break
    if not md or not (ROOT / md).exists():
        return md
    token = re.search(r'(\\[A-Za-z@]+)\s*$', context or '')
    if token:
        for n, text in enumerate(
                (ROOT / md).read_text(encoding='utf-8').splitlines(), 1):
            if token.group(1) in text:
                return f'{md}:{n}'
    return md


ERROR_RE = re.compile(r'^(?P<file>[^\s:]+\.[A-Za-z]+):(?P<line>\d+): '
                      r'(?P<msg>.*)$')
CONTEXT_RE = re.compile(r'^l\.(\d+) (.*)$')


def latex_errors(log_text, tex):
    """The errors of a LaTeX log (run with -file-line-error), each shown as
    `file:line: ! message` with TeX's context: the `l.<n>` line and the rest
    of that input line."""
    lines = log_text.splitlines()
    tex_lines = (tex.read_text(encoding='utf-8', errors='replace').splitlines()
                 if tex.exists() else [])
    errors = []
    for i, line in enumerate(lines):
        m = ERROR_RE.match(line)
        if not m and not line.startswith('! '):
            continue
        if m:
            path = os.path.normpath(tex.parent / m['file'])
            where, msg = int(m['line']), m['msg']
        else:
            path, where, msg = None, None, line[2:]
        block, context = [f'! {msg}'], None
        for j in range(i + 1, min(i + 12, len(lines))):
            follow = lines[j]
            if follow.startswith('! ') or ERROR_RE.match(follow):
                break
            if follow.strip():
                block.append(follow)
            c = CONTEXT_RE.match(follow)
            if c:
                context = c.group(2)
                if j + 1 < len(lines) and lines[j + 1].strip():
                    block.append(lines[j + 1])  # the rest of the input line
                break
        head = f'{shown(path)}:{where}: ' if path else f'{rel(tex)}: '
        if path and pathlib.Path(path).resolve() == tex.resolve():
            source = tex_source(tex_lines, where, context)
            if source:
                head += f'(from {source}) '
        errors.append(head + '\n    '.join(block))
    return errors


MISSING_RE = re.compile(r'^Missing character: There is no (.+?) '
                        r'(?:\(U\+([0-9A-Fa-f]+)\) )?in font (.*?)!?$')


def font_name(spec):
    """`[lmroman10-regular]:mapping=tex-text;` -> `lmroman10-regular`,
    `Noto Serif CJK KR/OT:script=hang;...` -> `Noto Serif CJK KR`."""
    spec = spec.strip()
    if spec.startswith('['):
        return spec[1:spec.index(']')] if ']' in spec else spec[1:]
    return re.split(r'[/:]', spec, 1)[0].strip()


def find_in_sources(char, sources):
    found = []
    for src in sources:
        for n, line in enumerate(src.read_text(encoding='utf-8').splitlines(),
                                 1):
            if char in line:
                found.append(f'{rel(src)}:{n}')
    return found


def missing_glyphs(log_text, sources):
    """Every `Missing character` of the log, as one message per character."""
    fonts_by_char = {}
    for line in log_text.splitlines():
        m = MISSING_RE.match(line)
        if not m:
            continue
        char = m.group(1)
        code = (m.group(2) or f'{ord(char[0]):04X}').upper()
        fonts = fonts_by_char.setdefault((char, code), [])
        name = font_name(m.group(3))
        if name not in fonts:
            fonts.append(name)
    problems = []
    for (char, code), fonts in fonts_by_char.items():
        where = find_in_sources(char, sources) or ['an output or the '
                                                   'generated LaTeX']
        problems.append(
            f'{where[0]}: character {char} (U+{code}) is missing from font '
            f'{", ".join(fonts)} and would be dropped from the PDF'
            + (f' (also at {", ".join(where[1:])})' if len(where) > 1 else '')
            + ' — use a character the [pdf] fonts in config.ini have, or '
            'configure a font that has it')
    return problems


def typeset(proj, edition, sources):
    """Sphinx LaTeX, latexmk, checks; copy the PDF to _build/pdf/."""
    final = PDF_DIR / f'{read_name()}-{edition}.pdf'
    stamp = Stamp(Layout(proj).pdf / '.booktools-digest')
    made_from = input_digest(proj)
    if final.exists() and stamp.holds(made_from):
        return final  # nothing changed since the last successful build
    if final.exists():
        final.unlink()  # a failed build leaves no stale PDF behind
    out = sphinx_latex(proj)
    from d2lbook.build import process_latex
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(proj / 'config.ini', encoding='utf-8')
    tex = out / (cfg['project']['name'] + '.tex')
    process_latex(str(tex), '')  # d2lbook's own .tex post-processing
    log_text = latexmk(tex)
    problems = missing_glyphs(log_text, sources)
    if problems:
        raise BookError('\n'.join(problems))
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tex.with_suffix('.pdf'), final)
    stamp.write(made_from)
    return final


def input_digest(proj):
    """What the LaTeX step reads: the reST project d2lbook wrote, conf.py
    (with this module's overrides) and images included. Installed TeX
    packages are not in it: `make clean` after changing them."""
    import d2lbook
    import sphinx
    rst_dir = Layout(proj).rst
    files = sorted(p for p in rst_dir.rglob('*') if p.is_file())
    return digest(sphinx.__version__, d2lbook.__version__,
                  *(part for p in files for part in (
                      p.relative_to(rst_dir).as_posix(), p)))


def read_name():
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / 'config.ini', encoding='utf-8')
    return cfg.get('project', 'name', fallback='book')


def main(argv):
    editions = list(argv) or list(EDITIONS)
    unknown = [e for e in editions if e not in EDITIONS]
    if unknown:
        raise BookError(f'unknown edition {unknown[0]!r}; usage: python -m '
                        f'booktools.pdf [{"] [".join(EDITIONS)}]')
    lock = one_build_at_a_time()  # noqa: F841  (`make serve` may build)
    config.check()
    check_tools()
    sources = notebook_sources()
    check_evaluated(sources)
    projects = [(prepare(e, sources), e) for e in editions]
    failures = []
    workers = max(1, min(len(projects), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        jobs = {pool.submit(typeset, proj, e, sources): e
                for proj, e in projects}
        for job in concurrent.futures.as_completed(jobs):
            try:
                print(f'[pdf] {rel(job.result())}', flush=True)
            except BookError as e:
                failures.append(f'[{jobs[job]}] {e}')
    if failures:
        raise BookError('\n'.join(sorted(failures)))


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
