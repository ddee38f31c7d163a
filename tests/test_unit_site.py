"""In-process unit tests of booktools.site's bilingual text helpers: page
titles in one language, Korean reference words, caption numbers and
`English / 한국어` split into language spans, on small HTML fragments."""
import pytest
from bs4 import BeautifulSoup

from booktools import site


@pytest.mark.parametrize('text, en, ko', [
    ('Shapes / 모양 — Deferred Init / 지연 초기화',
     'Shapes — Deferred Init', '모양 — 지연 초기화'),
    ('1.2. Shapes / 모양', '1.2. Shapes', '1.2. 모양'),
    ('Home / 홈 > Shapes / 모양', 'Home > Shapes', '홈 > 모양'),
    ('Search — Book / 책', 'Search — Book', '검색 — 책'),
    # Left whole: no Hangul after the slash, two slashes, Hangul before it.
    ('input / output', 'input / output', 'input / output'),
    ('A / B / 가', 'A / B / 가', 'A / B / 가'),
    ('가 / 나', '가 / 나', '가 / 나'),
])
def test_pick(text, en, ko):
    assert site.pick(text, 'en') == en
    assert site.pick(text, 'ko') == ko


@pytest.mark.parametrize('english, korean', [
    ('Section 2', '2장'),          # a notebook
    ('Section 2.3', '2.3절'),      # a section inside one
    ('Fig. 1.1.1', '그림 1.1.1'),
    ('Table 3', '표 3'),
    ('Listing 4.1', '코드 4.1'),
    ('See Section 2', 'See Section 2'),   # only a whole reference
    ('Section two', 'Section two'),
])
def test_korean_reference_words(english, korean):
    assert site.KO_NUMREF.sub(site._ko_numref, english) == korean


def fragment(html):
    return BeautifulSoup(html, 'html.parser')


BOTH = ('<span lang="en">{}</span><span class="lang-sep"> / </span>'
        '<span lang="ko">{}</span>')


def test_a_caption_number_gets_both_languages_and_keeps_its_space():
    soup = fragment('<span class="caption-number">Fig. 1.2.3 </span>')
    site.split_caption_number(soup.span)
    assert str(soup) == ('<span class="caption-number">' +
                         BOTH.format('Fig. 1.2.3', '그림 1.2.3') + ' </span>')


def test_a_caption_number_of_another_form_is_left_alone():
    soup = fragment('<span class="caption-number">Figure one </span>')
    site.split_caption_number(soup.span)
    assert str(soup) == '<span class="caption-number">Figure one </span>'


def split(html):
    soup = fragment(html)
    site.split_bilingual(soup, soup.contents[0])
    return str(soup)


def test_a_heading_is_split_and_its_permalink_stays_outside():
    assert split('<h1>Shapes / 모양<a class="headerlink" href="#s">¶</a>'
                 '</h1>') == ('<h1>' + BOTH.format('Shapes', '모양') +
                              '<a class="headerlink" href="#s">¶</a></h1>')


def test_a_plain_section_number_stays_outside_both_languages():
    assert split('<h2>1.2. Shapes / 모양</h2>') == (
        '<h2>1.2. ' + BOTH.format('Shapes', '모양') + '</h2>')


def test_a_section_number_span_stays_outside_both_languages():
    assert split('<h2><span class="section-number">3. </span>'
                 'Errors / 오류</h2>') == (
        '<h2><span class="section-number">3. </span>' +
        BOTH.format('Errors', '오류') + '</h2>')


def test_elements_on_either_side_go_with_their_language():
    assert split('<p><code>x</code> shape / <code>x</code>의 모양</p>') == (
        '<p>' + BOTH.format('<code>x</code> shape', '<code>x</code>의 모양') +
        '</p>')


@pytest.mark.parametrize('html', [
    '<p>input / output</p>',            # no Korean
    '<p>A / B / 가</p>',                # two separators
    '<p>가 / 나</p>',                   # Korean on the English side
    '<p><em>Shapes / 모양</em></p>',    # the separator is in a child
    '<p><a class="headerlink" href="#x">¶</a></p>',  # nothing but neutral
])
def test_anything_else_is_left_as_it_is(html):
    assert split(html) == html


def test_fast_selectors_on_tags_made_here():
    """A class given as a string (tag['class'] = 'a b') stays one string,
    not a list: matched by class word, as soupsieve does, not by
    substring."""
    soup = BeautifulSoup('<body><div class="container ko">a</div></body>',
                         'html.parser')
    made, near = soup.new_tag('div'), soup.new_tag('div')
    made['class'], near['class'] = 'container ko', 'container kor'
    soup.body.append(made)
    soup.body.append(near)
    for css in ('div.container.ko', 'div.container.en, div.container.ko'):
        assert site.select(soup, css) == soup.select(css)
        assert len(site.select(soup, css)) == 2
    assert site.select_one(soup, 'h1') is None
