"""The HTML book works offline, stays small and switches language.

Pages are opened in Debian's Chromium, driven by Playwright, with every
request to another host blocked and recorded: a page that needs the network
fails here the way it would fail a reader on a train.
"""
import re
import subprocess
import sys
import urllib.parse
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from conftest import BOOK, HANGUL, HTML, ROOT, evaluated

PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob('*.html'))
CHAPTER = 'chapters/deferred_init.html'
SHOTS = BOOK.build / 'screenshots'
REMOTE = re.compile(r'^\s*(?:[a-z][a-z0-9+.-]*:)?//', re.I)
# Absolute URLs that may stay in shipped scripts: XML namespaces and links
# shown to a person or written in comments, none of them ever fetched.
NOT_FETCHED = ('http://www.w3.org/', 'https://www.mathjax.org',
               'http://www.apache.org/licenses/', 'https://github.com/mhchem/',
               'https://underscorejs.org', 'https://developer.mozilla.org/')


def file_url(page):
    return (HTML / page).as_uri()


# --- static checks ---------------------------------------------------------

def test_the_book_is_built():
    assert CHAPTER in PAGES and 'index.html' in PAGES and 'search.html' in \
        PAGES, 'run `make html` first'


def test_size_is_small():
    size = sum(p.stat().st_size for p in HTML.rglob('*') if p.is_file())
    assert size < 15 * 2**20, f'_build/html is {size / 2**20:.1f} MB'


def _html_resources(soup):
    """URLs a page fetches by itself (a reader's click on <a> is not one)."""
    for tag in soup.find_all(True):
        for attr in ('src', 'href', 'data', 'poster', 'srcset', 'action'):
            if tag.has_attr(attr) and tag.name not in ('a', 'area', 'form'):
                yield tag.name, attr, tag[attr]
        if tag.has_attr('style'):
            yield from (('style', 'url', u) for u in _css_urls(tag['style']))
    for block in soup.find_all('style'):
        yield from (('style', 'url', u) for u in _css_urls(block.get_text()))


def _css_urls(css):
    css = re.sub(r'/\*.*?\*/', '', css, flags=re.S)
    for m in re.finditer(r'url\(\s*[\'"]?([^\'")]+)|@import\s+(?:url\()?'
                         r'\s*[\'"]?([^\'")\s;]+)', css):
        yield m.group(1) or m.group(2)


def test_no_remote_resource_is_referenced():
    found = []
    for path in sorted(HTML.rglob('*')):
        rel = path.relative_to(HTML).as_posix()
        if path.suffix == '.html':
            soup = BeautifulSoup(path.read_text('utf-8'), 'html.parser')
            found += [f'{rel}: <{tag} {attr}="{url}">'
                      for tag, attr, url in _html_resources(soup)
                      if REMOTE.match(url)]
            for script in soup.find_all('script'):
                found += [f'{rel}: inline script {u}' for u in
                          re.findall(r'https?://[^\s\'"]+', script.get_text())]
        elif path.suffix == '.css':
            found += [f'{rel}: {u}' for u in _css_urls(path.read_text('utf-8'))
                      if REMOTE.match(u)]
        elif path.suffix == '.svg':  # figures may link images or fonts too
            text = path.read_text('utf-8', errors='replace')
            found += [f'{rel}: {u}' for u in re.findall(
                r'(?:href|src)="((?:https?:)?//[^"]+)"', text)]
            found += [f'{rel}: {u}' for u in _css_urls(text) if REMOTE.match(u)]
        elif path.suffix == '.js' and path.name != 'searchindex.js':
            for url in re.findall(r'https?://[^\s\'"`)]+|[\'"]//[\w.-]+\.\w',
                                  path.read_text('utf-8', errors='replace')):
                if not url.startswith(NOT_FETCHED):
                    found.append(f'{rel}: {url}')
    assert not found, '\n'.join(found)


def test_every_internal_link_target_exists():
    ids, refs = {}, []
    for path in HTML.rglob('*.html'):
        soup = BeautifulSoup(path.read_text('utf-8'), 'html.parser')
        ids[path.resolve()] = {t['id'] for t in soup.find_all(id=True)}
        for tag in soup.find_all(['a', 'link', 'script', 'img', 'form']):
            url = tag.get('href') or tag.get('src') or tag.get('action')
            if url and not REMOTE.match(url) and not url.startswith(
                    ('mailto:', 'data:', 'javascript:')):
                refs.append((path, url.strip()))
    broken = []
    for page, url in refs:
        parts = urllib.parse.urlsplit(url)
        target = (page.parent / urllib.parse.unquote(parts.path)).resolve() \
            if parts.path else page.resolve()
        if not target.is_file():
            broken.append(f'{page.relative_to(HTML)}: {url}')
        elif parts.fragment and target.suffix == '.html' and \
                parts.fragment not in ids[target]:
            broken.append(f'{page.relative_to(HTML)}: {url} (no such id)')
    assert not broken, '\n'.join(broken)


def test_bilingual_titles_are_split_into_languages():
    soup = BeautifulSoup((HTML / CHAPTER).read_text('utf-8'), 'html.parser')
    h1 = soup.select_one('.page-content h1')
    assert h1.select_one('span[lang=en]') and h1.select_one('span[lang=ko]')
    assert not HANGUL.search(h1.select_one('span[lang=en]').get_text())
    assert soup.select('div.container.en') and all(
        d.get('lang') == 'en' for d in soup.select('div.container.en'))
    assert all(d.get('lang') == 'ko' for d in soup.select('div.container.ko'))
    assert soup.select('.lang-switch [data-lang-mode]')


# --- in the browser --------------------------------------------------------

def test_korean_blocks_number_references_in_korean():
    seen = 0
    for page in (HTML / 'chapters').glob('*.html'):
        soup = BeautifulSoup(page.read_text(), 'html.parser')
        for ref in soup.select('div[lang=ko] span.std-numref'):
            seen += 1
            assert re.fullmatch(r'\d+장|\d+(\.\d+)+절|그림 [\d.]+',
                                ref.get_text()), (page.name, ref.get_text())
        for ref in soup.select('div[lang=en] span.std-numref'):
            assert ref.get_text().startswith(('Section ', 'Fig. '))
    assert seen  # the chapters do cross-reference from Korean text


BROKEN_IMAGES = '''() => [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)'''


@pytest.mark.parametrize('page', PAGES)
def test_page_works_offline_from_file(visit, page):
    v = visit()
    v.open(file_url(page))
    v.assert_clean()
    assert v.page.evaluate(BROKEN_IMAGES) == []
    assert v.page.locator('.lang-switch').count() == 1
    assert v.page.evaluate('getComputedStyle(document.body).display') != \
        'none', 'the theme shows <body> from its script: it did not run'


def test_math_is_typeset_locally(visit):
    v = visit()
    v.open(file_url(CHAPTER))
    assert v.page.locator('mjx-container svg').count() > 0
    v.assert_clean()


@pytest.fixture
def server():
    proc = subprocess.Popen([sys.executable, '-m', 'booktools.serve',
                             '--port', '0'], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline()
        url = re.search(r'http://127\.0\.0\.1:\d+/', line)
        assert url, f'booktools.serve said {line!r}'
        yield url.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_served_page_asks_no_other_host(visit, server):
    v = visit(allowed=lambda url: url.startswith((server, 'data:', 'blob:')))
    v.open(server + CHAPTER)
    v.assert_clean()
    assert v.page.evaluate(BROKEN_IMAGES) == []
    assert v.page.locator('mjx-container svg').count() > 0
    assert v.page.locator('.copybtn').count() > 0


# --- language switch -------------------------------------------------------

# Visible prose: the page's text with code, outputs and math hidden, and
# without the switch, whose labels name both languages on purpose.
PROSE = '''() => {
  const style = document.createElement('style');
  style.textContent = 'pre, code, div[class*="highlight"], mjx-container, ' +
    '.lang-switch { display: none !important; }';
  document.head.append(style);
  const text = document.body.innerText;
  style.remove();
  return text;
}'''
VISIBLE = '''sel => [...document.querySelectorAll(sel)]
    .filter(e => e.checkVisibility()).length'''


def choose(v, mode):
    v.page.click(f'.lang-switch [data-lang-mode="{mode}"]')
    assert v.page.evaluate('document.documentElement.dataset.lang') == mode


def assert_mode(v, mode):
    page = v.page
    assert page.evaluate('document.documentElement.dataset.lang') == mode
    pressed = page.get_attribute(f'[data-lang-mode="{mode}"]', 'aria-pressed')
    assert pressed == 'true'
    title = page.title()
    code = 'div[class*="highlight-"]'
    assert page.evaluate(VISIBLE, code) == page.locator(code).count(), \
        'every code cell and output stays visible'
    # Text of neither language (figures, section numbers) shows in every mode.
    for neutral in ('.section img', '.section-number'):
        assert page.evaluate(VISIBLE, neutral) == \
            page.locator(neutral).count(), neutral
    if mode == 'en':
        assert not HANGUL.search(page.evaluate(PROSE))
        assert page.evaluate(VISIBLE, 'body [lang=ko], .container.ko') == 0
        assert not HANGUL.search(title)
        assert page.evaluate('document.documentElement.lang') == 'en'
    elif mode == 'ko':
        assert HANGUL.search(page.evaluate(PROSE))
        assert page.evaluate(VISIBLE, 'body [lang=en], .container.en') == 0
        assert HANGUL.search(title) and ' / ' not in title
        assert page.evaluate('document.documentElement.lang') == 'ko'
    else:
        for sel in ('.container.en', '.container.ko', 'h1 [lang=en]',
                    'h1 [lang=ko]', 'nav [lang=en]', 'nav [lang=ko]'):
            assert page.evaluate(VISIBLE, sel) > 0, sel
        assert ' / ' in title


def test_language_switch_applies_and_is_remembered(visit):
    v = visit(locale='fr-FR')
    v.open(file_url(CHAPTER))
    assert v.page.locator('div[class*="highlight-"]').count() > 0
    assert_mode(v, 'both')  # the default in a browser in neither language
    choose(v, 'en')
    assert_mode(v, 'en')
    choose(v, 'ko')
    assert_mode(v, 'ko')
    v.page.click('#button-next')  # another page keeps the choice
    v.settle()
    assert v.page.url.endswith('init_errors.html')
    assert_mode(v, 'ko')
    v.page.reload()
    v.settle()
    assert_mode(v, 'ko')
    choose(v, 'en')
    v.open(file_url('index.html'))
    assert_mode(v, 'en')
    choose(v, 'both')
    assert_mode(v, 'both')
    v.assert_clean()


def test_korean_search_finds_words_with_particles(visit):
    """A two-syllable stem such as `이름` that the text only has with a
    particle (`이름을`, `이름이`): Sphinx indexes whole words and matches
    parts of words only from three characters on, so alone it finds nothing."""
    whole, found_in = set(), {}
    for page in PAGES:
        soup = BeautifulSoup((HTML / page).read_text('utf-8'), 'html.parser')
        text = ' '.join(e.get_text(' ') for e in soup.select('[lang=ko]'))
        for word in re.findall(r'\w+', text):
            whole.add(word)
            found_in.setdefault(word, set()).add(page)
    stems = Counter()
    for word in whole:
        if re.fullmatch('[\uac00-\ud7a3]{3}', word) and word[:-1] not in whole:
            stems[word[:-1]] += 1
    assert stems, 'no Korean word with a particle found in the book'
    stem = sorted(stems, key=lambda s: (-stems[s], s))[0]
    expected = {p for w, pages in found_in.items() if w.startswith(stem)
                for p in pages if p.startswith('chapters/')}
    v = visit()
    search(v, stem)
    links = v.page.eval_on_selector_all(
        '#search-results li a', 'els => els.map(a => a.getAttribute("href"))')
    shown = {urllib.parse.urlsplit(h).path for h in links}
    assert expected <= shown, (stem, expected, shown)
    search(v, 'initialize')  # English still works
    assert v.page.locator('#search-results li a').count() > 0
    v.assert_clean()


def search(v, query):
    v.open(file_url('search.html') + '?q=' + urllib.parse.quote(query))
    v.page.wait_for_function('() => /found|did not match/.test(document.'
                             'querySelector(".search-summary")?.innerText)')


# --- copy buttons ----------------------------------------------------------

# Record what the page puts on the clipboard instead of touching the real one.
CLIPBOARD = '''window.copied = [];
Object.defineProperty(navigator, 'clipboard', {configurable: true, value: {
  writeText: text => { window.copied.push(text); return Promise.resolve(); }
}});'''


def test_copy_button_copies_the_code_only(visit):
    v = visit()
    v.context.add_init_script(CLIPBOARD)
    v.open(file_url(CHAPTER))
    assert v.page.locator('div.output .copybtn').count() == 0
    cells = [c for c in evaluated('deferred_init').cells
             if c.cell_type == 'code']
    with_output = next(c for c in cells if c.outputs)
    blocks = v.page.locator('div[class*="highlight-"]:not(.output)')
    texts = blocks.evaluate_all(
        'els => els.map(e => e.querySelector("pre").textContent.trim())')
    for source in (cells[0].source, with_output.source):
        index = texts.index(source.strip())
        blocks.nth(index).hover()
        blocks.nth(index).locator('.copybtn').click()
        v.page.wait_for_function('window.copied.length > 0')
        assert v.page.evaluate('window.copied.pop()') == source.strip()
    assert v.page.locator('.copybtn svg').count() == blocks.count()
    v.assert_clean()


# --- phones and screenshots ------------------------------------------------

PHONE = {'width': 375, 'height': 800}


@pytest.mark.parametrize('page', PAGES)
def test_phone_width_has_no_sideways_scrolling(visit, page):
    v = visit(viewport=PHONE)
    v.open(file_url(page))
    for mode in ('both', 'en', 'ko'):
        choose(v, mode)
        widths = v.page.evaluate('''() => [
          document.documentElement.scrollWidth,
          ...[...document.querySelectorAll('main, .page-content')]
             .map(e => e.scrollWidth - e.clientWidth)]''')
        assert widths[0] <= PHONE['width'], (mode, widths)
        assert all(extra <= 0 for extra in widths[1:]), (mode, widths)


@pytest.mark.built_book
def test_screenshots_of_each_mode_are_not_blank(visit):
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    for mode, viewport in [('en', None), ('ko', None), ('both', None),
                           ('phone', PHONE)]:
        v = visit(viewport=viewport or {'width': 1280, 'height': 900})
        v.open(file_url(CHAPTER))
        choose(v, 'ko' if mode == 'phone' else mode)
        path = SHOTS / f'deferred_init-{mode}.png'
        v.page.screenshot(path=str(path))
        shots.append(path)
        v.assert_clean()
    for path in shots:
        assert path.stat().st_size > 10_000, path
        with Image.open(path) as image:
            colors = image.convert('RGB').getcolors(maxcolors=1 << 20)
        assert len(colors) > 16, f'{path} looks blank'
