"""What a new reader meets on the HTML pages (issue 17): every word in the
chosen language (figure numbers, the theme's labels, the search page while
and after it searches), sentences true in the mode they are shown in, and a
header title that fits its bar at desktop widths.

The pages are opened from disk in Debian's Chromium, as a reader would.
"""
import re

import pytest

from conftest import HANGUL, HTML, ROOT
from booktools import langs

MODES = ('en', 'ko', 'both')
CHAPTER = 'chapters/deferred_init.html'
PAGES = ['index.html', *(f'chapters/{p.stem}.html'
                         for p in sorted((ROOT / 'chapters').glob('*.md')))]
LATIN = re.compile(r'[A-Za-z]{2,}')
# The text a reader sees: visible text nodes outside code, formulas and the
# icon font's ligatures ("search", "brightness_auto").
VISIBLE_TEXT = '''() => {
  const skip = 'pre, code, mjx-container, script, style, .material-icons';
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (range.getClientRects().length) out.push(node.data);
  }
  return out.join(' ');
}'''


def url(page):
    return (HTML / page).as_uri()


def open_in(visit, page, mode, **options):
    v = visit(**options)
    v.context.add_init_script(f'localStorage.setItem("book-lang", "{mode}")')
    v.open(url(page))
    return v


def visible(v, selector=None):
    if selector:
        return v.page.inner_text(selector)
    return v.page.evaluate(VISIBLE_TEXT)


def korean_sources():
    """The Korean text of the sources: `::: ko` blocks and the Korean half
    of headings and captions, without code fences."""
    parts = []
    for path in [ROOT / 'index.md', *(ROOT / 'chapters').glob('*.md')]:
        text = langs.select(path.read_text(encoding='utf-8'), 'ko')
        parts += [line for line, part in langs.walk(text)
                  if part != langs.CODE]
    parts.append(langs.pick(re.search(
        r'^title\s*=\s*(.*)$', (ROOT / 'config.ini').read_text('utf-8'),
        re.M).group(1), 'ko'))
    return '\n'.join(parts)


# The language switch's "EN" button names English in every mode; ".zip"
# (the notebooks' archive) is a file name's extension.
KOREAN_MODE_LATIN = set(LATIN.findall(korean_sources())) | {'EN', 'zip'}
UI_WORDS = {'Fig', 'Table', 'Contents', 'Search', 'Results', 'Searching',
            'Preparing', 'finished', 'found', 'page', 'From', 'Notebook',
            'Previous', 'Next', 'Quick', 'Korean', 'English', 'Enter'}


def search(v, query='initialize'):
    """Run the search page on `query` and wait until it has finished."""
    v.open(url('search.html') + f'?q={query}')
    v.page.wait_for_function(
        '() => /\\d/.test(document.querySelector('
        '"#search-results .search-summary")?.textContent || "")')


def test_the_english_ui_words_are_not_korean_source_words():
    """The probe below works: none of the theme's English words is written
    in the Korean sources, so finding one on a page is a leak."""
    assert not UI_WORDS & KOREAN_MODE_LATIN, UI_WORDS & KOREAN_MODE_LATIN


@pytest.mark.parametrize('page', PAGES + ['search.html'])
def test_korean_mode_shows_no_english_ui_words(visit, page):
    v = open_in(visit, page, 'ko', locale='ko-KR')
    if page == 'search.html':
        search(v)
    english = set(LATIN.findall(visible(v))) - KOREAN_MODE_LATIN
    assert not english, f'{page}: English words in 한국어 mode: {english}'
    fields = v.page.eval_on_selector_all(
        'input[placeholder]', 'els => els.map(e => e.placeholder)')
    assert fields or page == 'search.html'  # its header has no field
    assert not [f for f in fields if LATIN.search(f)], fields
    v.assert_clean()


@pytest.mark.parametrize('mode', MODES)
def test_figure_numbers_follow_the_language(visit, mode):
    v = open_in(visit, CHAPTER, mode)
    caption = ' '.join(visible(v, 'figcaption').split())
    shows = {'en': 'Fig. 1.1.1' in caption, 'ko': '그림 1.1.1' in caption}
    wanted = {'en': mode in ('en', 'both'), 'ko': mode in ('ko', 'both')}
    assert shows == wanted, (mode, caption)
    if mode == 'both':  # the pattern of the theme's words: English / 한국어
        assert 'Fig. 1.1.1 / 그림 1.1.1' in caption, caption


@pytest.mark.parametrize('mode', MODES)
def test_search_page_follows_the_language(visit, mode):
    v = open_in(visit, 'search.html', mode)
    search(v)
    summary = ' '.join(visible(v, '#search-results').split()[:40])
    head = v.page.inner_text('#search-results h2')
    page = visible(v, '.page-content')
    english = ['Search Results' in head, 'Search finished, found' in summary,
               'From here you can search' in page]
    korean = ['검색 결과' in head, '검색을 마쳤습니다' in summary,
              '여기에서 이 책을 검색할 수 있습니다' in page]
    assert all(english) == (mode != 'ko') and any(english) == (mode != 'ko')
    assert all(korean) == (mode != 'en') and any(korean) == (mode != 'en')
    # The count Sphinx found is in both sentences.
    counts = re.findall(r'found (\d+) page|페이지를 (\d+)개', summary)
    assert counts and len({n for pair in counts for n in pair if n}) == 1


def test_search_progress_is_in_the_readers_language(visit):
    """"Preparing search..." shows while the index loads: the search is
    started by hand before the index is there, and the text looked at."""
    v = open_in(visit, 'search.html', 'ko', locale='ko-KR')
    v.page.evaluate('''() => {
      Search._index = null;  // as before searchindex.js has loaded
      Search.performSearch('initialize');
    }''')
    v.page.wait_for_function('''() => document.querySelector(
      '#search-progress [lang="ko"]')''')
    text = [v.page.inner_text('#search-progress'),
            v.page.inner_text('#search-results h2').strip()]
    assert text == ['검색을 준비하는 중...', '검색 중'], text


@pytest.mark.parametrize('mode', MODES)
def test_table_of_contents_is_capitalised_in_english(visit, mode):
    v = open_in(visit, CHAPTER, mode)
    text = visible(v)
    assert 'Table Of Contents' not in text
    assert ('Table of Contents' in text) == (mode != 'ko'), mode
    assert ('목차' in text) == (mode != 'en'), mode


@pytest.mark.parametrize('mode', ['en', 'ko'])
def test_only_the_modes_language_in_the_download_row(visit, mode):
    v = open_in(visit, CHAPTER, mode)
    row = visible(v, '.notebook-downloads')
    other = HANGUL if mode == 'en' else re.compile(r'[A-Za-z]{3,}')
    assert row and not other.search(row.replace('.zip', '')), row


@pytest.mark.parametrize('mode', MODES)
def test_front_page_speaks_of_twins_only_of_the_bilingual_book(visit, mode):
    """"Each English paragraph is followed by its Korean twin" is true of
    the both-languages reading only: in every mode it is said of that
    edition, not of the page in front of the reader."""
    v = open_in(visit, 'index.html', mode)
    text = ' '.join(visible(v, '.page-content').split())
    sentences = re.split(r'(?<=[.다])\s+', text)
    english = [s for s in sentences if 'Korean twin' in s]
    korean = [s for s in sentences if '한국어 문단' in s]
    assert bool(english) == (mode != 'ko') and bool(korean) == (mode != 'en')
    for s in english:
        assert 'both languages' in s, s
    for s in korean:
        assert '이중 언어판' in s, s


@pytest.mark.parametrize('width', [1024, 1280, 1920])
@pytest.mark.parametrize('mode', MODES)
def test_header_title_fits_its_bar(visit, mode, width):
    """The page's title in the header bar is one line, whole, inside the
    bar: not cut at its top, not over its bottom edge."""
    for page in (CHAPTER, 'chapters/conv_shapes.html', 'index.html'):
        v = open_in(visit, page, mode,
                    viewport={'width': width, 'height': 800})
        box = v.page.evaluate('''() => {
          const bar = document.querySelector('header.mdl-layout__header')
            .getBoundingClientRect();
          const a = document.querySelector('nav.breadcrumb > a');
          const r = a.getBoundingClientRect();
          const line = parseFloat(getComputedStyle(a).lineHeight);
          return {bar: [bar.top, bar.bottom], title: [r.top, r.bottom],
                  height: r.height, line: line,
                  clipped: a.scrollHeight > a.clientHeight};
        }''')
        where = f'{page} at {width} px in {mode} mode: {box}'
        assert box['bar'][0] <= box['title'][0], where
        assert box['title'][1] <= box['bar'][1], where
        assert not box['clipped'], where
        assert box['height'] < 1.5 * box['line'], where  # one line
