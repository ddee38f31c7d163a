"""In-process unit tests of booktools.pdf's readers of a LaTeX log (errors,
missing glyphs) and its small text helpers. The logs are made up; no TeX
runs. The book is a made-up one in tmp_path."""
import pytest

from booktools import pdf


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A book root with one chapter and the .tex Sphinx would have made."""
    monkeypatch.setattr(pdf, 'ROOT', tmp_path)
    (tmp_path / 'chapters').mkdir()
    (tmp_path / 'chapters' / 'shapes.md').write_text('\n'.join([
        '# Shapes / 모양',                      # 1
        '',                                     # 2
        'The weight is $\\wrongmacro{x}$.',     # 3
        'A snowman: ☃, a check: ✓',            # 4
        'Another snowman ☃ here.',              # 5
    ]), encoding='utf-8')
    out = tmp_path / 'out'
    out.mkdir()
    tex = out / 'book.tex'
    tex.write_text('\n'.join([
        '\\documentclass{sphinxmanual}',                          # 1
        '\\begin{document}',                                      # 2
        '\\chapter{Shapes}',                                      # 3
        '\\label{\\detokenize{chapters/shapes:sec-shapes}}',      # 4
        'The weight is \\(\\wrongmacro{x}\\).',                   # 5
        '\\end{document}',                                        # 6
    ]), encoding='utf-8')
    return tex


def test_a_file_line_error_names_the_tex_line_and_the_markdown_line(book):
    log = '\n'.join([
        'This is XeTeX, Version 3.141592653',
        './book.tex:5: Undefined control sequence.',
        'l.5 The weight is \\(\\wrongmacro',
        '                                {x}\\).',
        'Here is how much of TeX\'s memory you used:',
    ])
    assert pdf.latex_errors(log, book) == [
        'out/book.tex:5: (from chapters/shapes.md:3) '
        '! Undefined control sequence.\n'
        '    l.5 The weight is \\(\\wrongmacro\n'
        '                                    {x}\\).']


def test_an_error_in_another_file_is_not_looked_up_in_the_sources(book):
    log = ('./sphinxmanual.cls:12: LaTeX Error: Option clash.\n'
           '\n'
           'l.12 \\RequirePackage')
    assert pdf.latex_errors(log, book) == [
        'out/sphinxmanual.cls:12: ! LaTeX Error: Option clash.\n'
        '    l.12 \\RequirePackage']


def test_a_bang_line_without_a_place_is_told_against_the_tex(book):
    log = '\n'.join([
        "! LaTeX Error: File `nosuch.sty' not found.",
        '',
        "Type X to quit or <RETURN> to proceed,",
        '! Emergency stop.',
        '<read *>',
    ])
    assert pdf.latex_errors(log, book) == [
        "out/book.tex: ! LaTeX Error: File `nosuch.sty' not found.\n"
        '    Type X to quit or <RETURN> to proceed,',
        'out/book.tex: ! Emergency stop.\n    <read *>']


def test_a_log_without_errors_has_none(book):
    assert pdf.latex_errors('Output written on book.pdf (3 pages).\n'
                            'Overfull \\hbox (2.0pt too wide)', book) == []


def test_an_error_before_any_chapter_label_names_no_source(book):
    log = './book.tex:2: Missing $ inserted.\nl.2 \\begin{document}'
    assert pdf.latex_errors(log, book) == [
        'out/book.tex:2: ! Missing $ inserted.\n    l.2 \\begin{document}']


def test_missing_glyphs_are_grouped_by_character_with_their_places(book):
    sources = [book.parent.parent / 'chapters' / 'shapes.md']
    log = '\n'.join([
        'Missing character: There is no ☃ (U+2603) in font '
        '[lmroman10-regular]:mapping=tex-text;!',
        'Missing character: There is no ☃ (U+2603) in font '
        'Noto Serif CJK KR/OT:script=hang;language=dflt;!',
        'Missing character: There is no ☃ (U+2603) in font '
        '[lmroman10-regular]:mapping=tex-text;!',
        'Missing character: There is no ✓ in font Noto Sans Mono CJK KR:'
        'mapping=tex-text;!',
        'Missing character: There is no ⌘ (U+2318) in font DejaVu Sans!',
    ])
    fix = (' — use a character the [pdf] fonts in config.ini have, or '
           'configure a font that has it')
    assert pdf.missing_glyphs(log, sources) == [
        'chapters/shapes.md:4: character ☃ (U+2603) is missing from font '
        'lmroman10-regular, Noto Serif CJK KR and would be dropped from the '
        'PDF (also at chapters/shapes.md:5)' + fix,
        'chapters/shapes.md:4: character ✓ (U+2713) is missing from font '
        'Noto Sans Mono CJK KR and would be dropped from the PDF' + fix,
        'an output or the generated LaTeX: character ⌘ (U+2318) is missing '
        'from font DejaVu Sans and would be dropped from the PDF' + fix,
    ]


def test_a_log_without_missing_characters_has_no_problem(book):
    assert pdf.missing_glyphs('Missing $ inserted.', []) == []


@pytest.mark.parametrize('spec, name', [
    ('[lmroman10-regular]:mapping=tex-text;', 'lmroman10-regular'),
    ('[NotoSerifCJK-Regular.ttc', 'NotoSerifCJK-Regular.ttc'),
    ('Noto Serif CJK KR/OT:script=hang;language=dflt;', 'Noto Serif CJK KR'),
    ('DejaVu Sans:mapping=tex-text', 'DejaVu Sans'),
    ('  FreeMono  ', 'FreeMono'),
])
def test_font_name(spec, name):
    assert pdf.font_name(spec) == name


def test_tex_escape_escapes_each_special_once():
    assert pdf.tex_escape('50% of C:\\ & {x}_1 #2 $3 ^4 ~5') == (
        '50\\% of C:\\textbackslash{} \\& \\{x\\}\\_1 \\#2 \\$3 '
        '\\^{}4 \\~{}5')
    assert pdf.tex_escape('지연 초기화 / Deferred') == '지연 초기화 / Deferred'
