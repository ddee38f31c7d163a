"""In-process unit tests of booktools.langs: the language-block walk, the
blocks and their twins, and picking one language out of Markdown, notebook
cells and SVG figures. No build, no kernel."""
from types import SimpleNamespace

import pytest

from booktools import langs

# Line numbers (1-based) are written beside each line of the source.
SOURCE = '\n'.join([
    '# Shapes / 모양',                  # 1  heading: split in en/ko
    '',                                 # 2
    '::: en',                           # 3
    'The weight is `(256, 0)`.',        # 4
    ':::',                              # 5
    '',                                 # 6
    '<!-- translated 2026 -->',         # 7  a comment may sit between twins
    '::: ko',                           # 8
    '가중치는 `(256, 0)`입니다.',        # 9
    ':::',                              # 10
    '',                                 # 11
    '```{.python .input}',              # 12 a code fence: verbatim
    '::: ko',                           # 13 not a block: inside the fence
    '```',                              # 14
    '',                                 # 15
    '![Layers / 층](img/net.svg)',      # 16 figure caption: split
    'Shared text.',                     # 17 neither language: always kept
])


def test_walk_tags_each_line_with_what_it_belongs_to():
    parts = [part for _, part in langs.walk(SOURCE)]
    assert parts == [
        None, None,
        langs.FENCE_LINE, 'en', langs.FENCE_LINE,
        None, None,
        langs.FENCE_LINE, 'ko', langs.FENCE_LINE,
        None,
        langs.CODE, langs.CODE, langs.CODE,
        None, None, None]


def test_walk_keeps_a_nested_opening_as_text_of_the_block():
    # Blocks do not nest: `::: ko` inside an open `::: en` is English text.
    text = '::: en\none\n::: ko\ntwo\n:::'
    assert [p for _, p in langs.walk(text)] == [
        langs.FENCE_LINE, 'en', 'en', 'en', langs.FENCE_LINE]


def test_a_tilde_fence_hides_language_fences_too():
    text = '~~~\n::: en\n~~~\n::: en\nx\n:::'
    assert [p for _, p in langs.walk(text)] == [
        langs.CODE, langs.CODE, langs.CODE,
        langs.FENCE_LINE, 'en', langs.FENCE_LINE]


def test_blocks_have_their_fence_lines_and_text():
    found = langs.blocks(SOURCE)
    assert [(b.lang, b.line, b.end, b.text) for b in found] == [
        ('en', 3, 5, 'The weight is `(256, 0)`.'),
        ('ko', 8, 10, '가중치는 `(256, 0)`입니다.')]


def test_an_unclosed_block_ends_at_the_last_line():
    found = langs.blocks('intro\n::: ko\n하나\n둘')
    assert [(b.lang, b.line, b.end, b.text) for b in found] == [
        ('ko', 2, 4, '하나\n둘')]


def test_pairs_are_twins_separated_by_blanks_or_comments_only():
    (en, ko), = langs.pairs(SOURCE)
    assert (en.line, ko.line) == (3, 8)


def test_prose_between_blocks_or_the_wrong_order_makes_no_pair():
    apart = '::: en\nA\n:::\nIn between.\n::: ko\n가\n:::'
    assert langs.pairs(apart) == []
    reversed_order = '::: ko\n가\n:::\n::: en\nA\n:::'
    assert langs.pairs(reversed_order) == []
    # Three blocks: only the English followed by its Korean pair up.
    three = '::: ko\n나\n:::\n::: en\nB\n:::\n::: ko\n다\n:::'
    assert [(e.line, k.line) for e, k in langs.pairs(three)] == [(4, 7)]


def test_select_english():
    assert langs.select(SOURCE, 'en') == '\n'.join([
        '# Shapes',
        '',
        'The weight is `(256, 0)`.',
        '',
        '<!-- translated 2026 -->',
        '',
        '```{.python .input}',
        '::: ko',
        '```',
        '',
        '![Layers](img/net.svg)',
        'Shared text.'])


def test_select_korean():
    assert langs.select(SOURCE, 'ko') == '\n'.join([
        '# 모양',
        '',
        '<!-- translated 2026 -->',
        '가중치는 `(256, 0)`입니다.',
        '',
        '```{.python .input}',
        '::: ko',
        '```',
        '',
        '![층](img/net.svg)',
        'Shared text.'])


def test_select_both_keeps_every_text_and_drops_only_language_fences():
    both = langs.select(SOURCE, 'both')
    assert '# Shapes / 모양' in both and '![Layers / 층](img/net.svg)' in both
    assert 'The weight is' in both and '가중치는' in both
    lines = both.split('\n')
    assert ':::' not in lines and '::: en' not in lines
    assert lines.count('::: ko') == 1  # the one inside the code fence


def test_select_collapses_the_blank_lines_a_dropped_block_leaves():
    text = 'before\n\n::: ko\n한국어\n:::\n\nafter'
    assert langs.select(text, 'en') == 'before\n\nafter'


def test_a_heading_or_caption_without_separator_is_kept_whole():
    text = '## MXNet Gluon\n![](img/a.svg)'
    assert langs.select(text, 'ko') == text


def test_select_refuses_an_unknown_language():
    with pytest.raises(ValueError, match="'fr'"):
        langs.select('text', 'fr')


def cells(*specs):
    return [SimpleNamespace(cell_type=kind, source=source)
            for kind, source in specs]


def test_select_cells_drops_markdown_left_empty_and_keeps_code():
    nb = cells(('markdown', '::: ko\n한국어만\n:::'),
               ('code', '::: ko\nprint(1)'),
               ('markdown', '\n::: en\nEnglish\n:::\n\nShared\n'))
    kept = langs.select_cells(nb, 'en')
    assert [(c.cell_type, c.source) for c in kept] == [
        ('code', '::: ko\nprint(1)'),
        ('markdown', 'English\n\nShared')]


def test_select_cells_runs_before_on_markdown_only():
    seen = []

    def before(source):
        seen.append(source)
        return source.replace('TITLE', '# A / 가')
    kept = langs.select_cells(cells(('markdown', 'TITLE'),
                                    ('code', 'TITLE')), 'ko', before)
    assert seen == ['TITLE']
    assert [c.source for c in kept] == ['# 가', 'TITLE']


SVG = ('<svg><text x="1" lang="en">Input</text>\n'
       '<text x="1" lang="ko">입력</text>\n'
       '<text y="2">Layer / 층</text><rect/></svg>')


def test_select_svg_english():
    assert langs.select_svg(SVG, 'en') == (
        '<svg><text x="1" lang="en">Input</text>\n'
        '<text y="2">Layer</text><rect/></svg>')


def test_select_svg_korean():
    assert langs.select_svg(SVG, 'ko') == (
        '<svg><text x="1" lang="ko">입력</text>\n'
        '<text y="2">층</text><rect/></svg>')


def test_select_svg_both_is_unchanged():
    assert langs.select_svg(SVG, 'both') == SVG


def test_a_closing_fence_outside_any_block_is_plain_text():
    text = 'one\n:::\n::: en\nA\n:::'
    assert [p for _, p in langs.walk(text)] == [
        None, None, langs.FENCE_LINE, 'en', langs.FENCE_LINE]
    assert [(b.lang, b.line) for b in langs.blocks(text)] == [('en', 3)]
