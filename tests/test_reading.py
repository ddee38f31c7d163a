"""Reading comfort in Debian's Chromium: dark mode, the keyboard, the first
visit in the reader's language, Korean line breaking, and print.

The colour contrast of each scheme is audited in test_a11y.py; here the
schemes are checked to apply, to be remembered and to reach figures.
"""
import re

import pytest
from PIL import Image, ImageStat

from conftest import BOOK, HANGUL, HTML

CHAPTER = 'chapters/deferred_init.html'
FIGURE_PAGES = ('chapters/deferred_init.html', 'chapters/conv_shapes.html')
SHOTS = BOOK.build / 'screenshots'


def url(page):
    return (HTML / page).as_uri()


def root(v, attr):
    return v.page.evaluate(f'document.documentElement.getAttribute("{attr}")')


def background(v, selector='body'):
    """The computed background colour of `selector` as (r, g, b)."""
    rgb = v.page.evaluate(f'getComputedStyle(document.querySelector('
                          f'"{selector}")).backgroundColor')
    return tuple(int(n) for n in re.findall(r'\d+', rgb)[:3])


def luminance(rgb):
    return sum(c * w for c, w in zip(rgb, (0.2126, 0.7152, 0.0722))) / 255


# --- dark mode ---------------------------------------------------------------

@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_page_follows_the_systems_colour_scheme(visit, scheme):
    v = visit(color_scheme=scheme)
    v.open(url(CHAPTER))
    assert root(v, 'data-theme') == scheme
    dark = luminance(background(v)) < 0.2
    assert dark == (scheme == 'dark'), background(v)
    # Code cells follow the page too.
    code = luminance(background(v, '.page-content div.highlight pre'))
    assert (code < 0.2) == (scheme == 'dark'), code
    v.assert_clean()


def test_theme_switch_cycles_and_is_remembered(visit):
    v = visit(color_scheme='light')
    v.open(url(CHAPTER))
    switch = '[data-theme-switch]'
    assert v.page.get_attribute(switch, 'data-theme-choice') == 'auto'
    v.page.click(switch)  # auto -> light
    assert v.page.get_attribute(switch, 'data-theme-choice') == 'light'
    assert root(v, 'data-theme') == 'light'
    v.page.click(switch)  # light -> dark
    assert root(v, 'data-theme') == 'dark'
    assert luminance(background(v)) < 0.2
    label = v.page.get_attribute(switch, 'aria-label')
    assert 'dark' in label and 'auto' in label, label  # state, and what next
    v.page.click('#button-next')  # another page keeps the choice
    v.settle()
    assert root(v, 'data-theme') == 'dark'
    # An explicit choice wins over the system's scheme ...
    v.page.emulate_media(color_scheme='light')
    v.page.reload()
    v.settle()
    assert root(v, 'data-theme') == 'dark'
    v.page.click(switch)  # dark -> auto: the system decides again
    assert root(v, 'data-theme') == 'light'
    v.page.emulate_media(color_scheme='dark')  # ... and live
    v.page.wait_for_function(
        'document.documentElement.dataset.theme === "dark"')
    v.assert_clean()


@pytest.mark.parametrize('page', FIGURE_PAGES)
def test_figures_sit_on_a_light_backdrop_in_dark_mode(visit, page):
    """The SVG diagram draws dark ink on nothing, the matplotlib figure is
    black on white: in the dark scheme each keeps a light ground."""
    v = visit(color_scheme='dark')
    v.open(url(page))
    images = v.page.locator('.page-content img')
    assert images.count() > 0
    for n in range(images.count()):
        rgb = v.page.evaluate(
            '(img) => getComputedStyle(img).backgroundColor',
            images.nth(n).element_handle())
        rgb = tuple(int(x) for x in re.findall(r'\d+', rgb)[:3])
        assert luminance(rgb) > 0.9, (page, n, rgb)


# --- keyboard ------------------------------------------------------------------

def test_skip_link_is_first_and_moves_focus_to_the_text(visit):
    v = visit()
    v.open(url(CHAPTER))
    v.page.keyboard.press('Tab')  # the first Tab, whatever the theme focused
    focused = v.page.evaluate('document.activeElement.className')
    assert focused == 'skip-link'
    box = v.page.locator('a.skip-link').bounding_box()
    assert box and box['y'] >= 0, 'the focused skip link is on screen'
    v.page.keyboard.press('Enter')
    assert v.page.evaluate('document.activeElement.id') == 'content'
    v.assert_clean()


def test_every_control_is_reachable_with_a_visible_focus(visit):
    """Tab walks through the header's controls, the text's links and the
    previous/next links; each shows an outline while focused."""
    v = visit(viewport={'width': 1280, 'height': 900})
    v.open(url(CHAPTER))
    reached, unseen = set(), []
    for _ in range(200):
        v.page.keyboard.press('Tab')
        info = v.page.evaluate('''() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return [e.tagName, e.id, e.className.toString(),
                    e.getAttribute('data-lang-mode') || '',
                    s.outlineStyle, parseFloat(s.outlineWidth),
                    e === document.body]; }''')
        tag, id_, cls, lang, style, width, body = info
        if body or reached and cls == 'skip-link':
            break  # round the page once
        reached.add(id_ or lang or cls.split(' ')[0] or tag)
        if style == 'none' or width < 2:
            unseen.append(info)
    for wanted in ('skip-link', 'en', 'ko', 'both', 'theme-switch',
                   'waterfall-exp', 'button-prev', 'button-next', 'copybtn'):
        assert wanted in reached, (wanted, sorted(reached))
    assert not unseen, f'focused without a visible outline: {unseen[:5]}'


def test_phone_focus_stays_on_screen_and_reaches_the_drawer(visit):
    """On a phone the table of contents is a closed drawer: Tab skips its
    links until the menu button opens it."""
    width = 375
    v = visit(viewport={'width': width, 'height': 800})
    v.open(url(CHAPTER))
    where = '''() => { const e = document.activeElement;
        const r = e.getBoundingClientRect();
        return [e.className.toString(), r.left, r.right]; }'''
    for _ in range(15):
        v.page.keyboard.press('Tab')
        cls, left, right = v.page.evaluate(where)
        assert left >= -1 and right <= width + 1, (cls, left, right)
    v.page.focus('.mdl-layout__drawer-button')
    v.page.keyboard.press('Enter')
    v.page.wait_for_timeout(400)  # the drawer slides in
    assert v.page.evaluate('document.querySelector(".mdl-layout__drawer")'
                           '.classList.contains("is-visible")')
    for _ in range(12):  # past the header's controls, into the drawer
        v.page.keyboard.press('Tab')
        if v.page.evaluate('document.activeElement.closest('
                           '".mdl-layout__drawer") !== null'):
            break
    else:
        pytest.fail('Tab never reached the open drawer')
    cls, left, right = v.page.evaluate(where)
    assert left >= 0, (cls, left)


def test_arrow_keys_turn_pages_except_in_a_text_field(visit):
    v = visit()
    v.open(url(CHAPTER))
    v.page.click('h1')
    v.page.keyboard.press('ArrowRight')
    v.page.wait_for_url('**/init_errors.html')
    v.settle()
    v.page.keyboard.press('ArrowLeft')
    v.page.wait_for_url('**/deferred_init.html')
    v.settle()
    # `/` focuses search; arrows then move the caret, not the page.
    v.page.keyboard.press('/')
    assert v.page.evaluate('document.activeElement.name') == 'q'
    v.page.keyboard.type('init')
    assert v.page.input_value('header input[name="q"]') == 'init', \
        '`/` itself is not typed'
    v.page.keyboard.press('ArrowLeft')
    v.page.keyboard.press('ArrowRight')
    v.page.wait_for_timeout(300)
    assert v.page.url.endswith('deferred_init.html')
    v.assert_clean()


def test_slash_focuses_the_search_page_field(visit):
    v = visit()
    v.open(url('search.html'))
    v.page.keyboard.press('/')
    assert v.page.evaluate('document.activeElement.id') == 'search-input'


def test_code_too_wide_for_a_phone_takes_the_focus(visit):
    v = visit(viewport={'width': 375, 'height': 800})
    v.open(url(CHAPTER))
    wide = v.page.evaluate('''() => [...document.querySelectorAll(
        '.page-content pre')].filter(p => p.scrollWidth > p.clientWidth + 1)
        .map(p => p.tabIndex)''')
    assert wide and all(t == 0 for t in wide), wide


# --- the first visit ---------------------------------------------------------

@pytest.mark.parametrize('locale, mode, lang', [
    ('ko-KR', 'ko', 'ko'), ('ko', 'ko', 'ko'), ('en-GB', 'en', 'en'),
    ('en-US', 'en', 'en'), ('fr-FR', 'both', 'en'), ('ja-JP', 'both', 'en')])
def test_first_visit_follows_the_browsers_language(visit, locale, mode, lang):
    v = visit(locale=locale)
    v.open(url(CHAPTER))
    assert root(v, 'data-lang') == mode
    assert root(v, 'lang') == lang
    pressed = v.page.get_attribute(f'[data-lang-mode="{mode}"]',
                                   'aria-pressed')
    assert pressed == 'true'
    v.assert_clean()


def test_an_explicit_choice_wins_over_the_browsers_language(visit):
    v = visit(locale='ko-KR')
    v.open(url(CHAPTER))
    assert root(v, 'data-lang') == 'ko'
    v.page.click('[data-lang-mode="en"]')
    assert root(v, 'lang') == 'en'
    v.open(url('index.html'))
    assert root(v, 'data-lang') == 'en'
    v.page.reload()
    v.settle()
    assert root(v, 'data-lang') == 'en'
    v.page.click('[data-lang-mode="both"]')  # "both" is a choice too
    v.open(url(CHAPTER))
    assert root(v, 'data-lang') == 'both'


# --- Korean line breaking ------------------------------------------------------

def test_korean_text_breaks_between_words(visit):
    v = visit(locale='ko-KR', viewport={'width': 375, 'height': 800})
    v.open(url(CHAPTER))
    rules = v.page.evaluate('''() => [...document.querySelectorAll(
        '.page-content [lang="ko"] p')].map(p => getComputedStyle(p).wordBreak)''')
    assert rules and set(rules) == {'keep-all'}, set(rules)
    # Every line of a narrow Korean paragraph ends at a space.
    broken = v.page.evaluate('''() => {
      const found = [];
      for (const p of document.querySelectorAll('.page-content [lang="ko"] p')) {
        const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
        let prev = null, node;
        while ((node = walker.nextNode())) {
          for (let i = 0; i < node.data.length; i++) {
            const r = document.createRange();
            r.setStart(node, i); r.setEnd(node, i + 1);
            const rect = r.getClientRects()[0];
            const ch = node.data[i];
            if (/\\s/.test(ch)) { if (prev) prev.ch = ' '; continue; }
            if (!rect || !rect.width) continue;
            if (prev && rect.top > prev.top + 2 && /[\\uac00-\\ud7a3]/.test(ch)
                && /[\\uac00-\\ud7a3]/.test(prev.ch)) found.push(prev.ch + ch);
            prev = {top: rect.top, ch};
          }
        }
      }
      return found; }''')
    assert not broken, f'lines broken inside a Korean word: {broken[:10]}'


# --- print ---------------------------------------------------------------------

@pytest.mark.parametrize('mode', ['ko', 'en'])
def test_printed_chapter_has_the_text_only(visit, mode):
    v = visit(locale='ko-KR' if mode == 'ko' else 'en-US',
              color_scheme='dark')
    v.open(url(CHAPTER))
    v.page.emulate_media(media='print')
    visible = v.page.evaluate('''sels => sels.map(s =>
        [...document.querySelectorAll(s)].filter(e => e.checkVisibility())
        .length)''', ['header.mdl-layout__header', '.mdl-layout__drawer',
                      '.lang-switch', '.theme-switch', '.pagenation',
                      '.copybtn', '.side-doc-outline'])
    assert visible == [0] * 7, visible
    ink = v.page.evaluate('''() => [...document.querySelectorAll(
        '.page-content p, .page-content pre')].map(e => getComputedStyle(e).color)''')
    ink = {tuple(int(n) for n in re.findall(r'\d+', c)[:3]) for c in ink}
    assert ink and max(map(luminance, ink)) < 0.3, \
        f'dark ink on paper, even in dark mode: {ink}'
    text = v.page.evaluate('document.querySelector(".page-content").innerText')
    other = 'en' if mode == 'ko' else 'ko'
    shown = v.page.evaluate(f'''[...document.querySelectorAll(
        '.page-content [lang="{other}"]')].filter(e => e.checkVisibility())
        .length''')
    assert shown == 0, f'{shown} elements in {other} printed'
    assert bool(HANGUL.search(text.split('import')[0])) == (mode == 'ko')
    # The whole chapter flows onto pages, not one clipped screen.
    pdf = v.page.pdf(format='A4')
    assert pdf.count(b'/Type /Page\n') + pdf.count(b'/Type /Page ') + \
        pdf.count(b'/Type/Page') >= 4, 'the chapter prints on several pages'


# --- screenshots -------------------------------------------------------------

@pytest.mark.built_book
def test_screenshots_in_light_and_dark_korean_and_english(visit):
    """_build/screenshots/<page>[-figure]-{light,dark}-{ko,en}.png, to look
    at: the top of a chapter, and each chapter's figure. A dark shot must
    be dark and a light one light."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = [('deferred_init', False), ('deferred_init', True),
             ('conv_shapes', True)]
    for name, figure in shots:
        for scheme in ('light', 'dark'):
            for mode in ('ko', 'en'):
                v = visit(color_scheme=scheme,
                          locale='ko-KR' if mode == 'ko' else 'en-US',
                          viewport={'width': 1280, 'height': 900})
                v.open(url(f'chapters/{name}.html'))
                if figure:
                    v.page.locator('.page-content img').first.evaluate(
                        'img => img.scrollIntoView({block: "center"})')
                    v.page.wait_for_timeout(100)
                path = SHOTS / (f'{name}{"-figure" if figure else ""}-'
                                f'{scheme}-{mode}.png')
                v.page.screenshot(path=str(path))
                with Image.open(path) as image:
                    mean = ImageStat.Stat(image.convert('L')).mean[0]
                assert (mean < 100) == (scheme == 'dark'), (path, mean)
                v.assert_clean()
                v.close()
