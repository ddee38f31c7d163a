"""The side-by-side reading mode, measured in Debian's Chromium.

With the switch's fourth choice ("EN|한", side by side / 나란히) a window at
least 1200 px wide shows each English block with its Korean twin beside it,
on one row; headings pair the same way; code, outputs, figures and quizzes
span the text's width. A narrow window, and paper, keep the blocks stacked.
The page's order stays English, then Korean.
"""
import pytest
from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup

from conftest import CHAPTERS, HANGUL, HTML

PAGES = [f'chapters/{c}.html' for c in CHAPTERS] + ['index.html']
WIDE = {'width': 1400, 'height': 900}
NARROW = {'width': 600, 'height': 900}
WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
ORDER_SELECTOR = ('.page-content .container[lang], .page-content '
                  ':is(h1, h2, h3, h4) > [lang]')


def url(page):
    return (HTML / page).as_uri()


def open_in(visit, page, mode='side', **options):
    v = visit(**options)
    v.context.add_init_script(
        f'try {{ localStorage.setItem("book-lang", "{mode}") }} catch (e) {{}}')
    v.open(url(page))
    assert v.page.evaluate('document.documentElement.dataset.lang') == mode
    return v


# Each English block and the Korean block right after it, as two boxes and
# a label naming the pair in a failure message; `lone` holds the blocks
# without a twin next to them.
PAIRS = '''() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const pairs = [], lone = [];
  document.querySelectorAll('.page-content .container.en').forEach((en, n) => {
    const ko = en.nextElementSibling;
    const label = `block ${n + 1}: ${en.textContent.trim().slice(0, 40)}`;
    if (ko && ko.matches('.container.ko')) {
      pairs.push({label, en: box(en), ko: box(ko)});
    } else {
      lone.push({label, en: box(en)});
    }
  });
  return {pairs, lone};
}'''
HEADINGS = '''() => [...document.querySelectorAll('.page-content :is(h1, h2, h3, h4)')]
  .filter(h => h.querySelector(':scope > [lang=en]') &&
               h.querySelector(':scope > [lang=ko]'))
  .map(h => { const box = e => { const r = e.getBoundingClientRect();
      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
    return {label: h.textContent.trim().slice(0, 40),
            en: box(h.querySelector(':scope > [lang=en]')),
            ko: box(h.querySelector(':scope > [lang=ko]'))}; })'''
# Code cells, outputs, figures and quizzes placed in a section, with the
# width of the text they sit in (the section's content box).
SPANNING = '''() => [...document.querySelectorAll(
    '.page-content section > :is(div[class*="highlight-"], figure, .quiz, ' +
    '.admonition)')]
  .map(e => { const s = getComputedStyle(e.parentElement);
    const inner = e.parentElement.clientWidth - parseFloat(s.paddingLeft) -
      parseFloat(s.paddingRight);
    return {label: e.className + ': ' + e.textContent.trim().slice(0, 30),
            width: e.getBoundingClientRect().width, inner}; })'''


def assert_side_by_side(pairs, what):
    assert pairs, f'no {what} to measure'
    for p in pairs:
        en, ko = p['en'], p['ko']
        assert abs(ko['top'] - en['top']) <= 1, \
            f'{what} {p["label"]}: Korean starts at {ko["top"]}, English at {en["top"]}'
        assert ko['left'] >= en['right'] - 0.5, \
            f'{what} {p["label"]}: Korean ({ko["left"]}) overlaps English ({en["right"]})'


def assert_stacked(pairs, what):
    assert pairs, f'no {what} to measure'
    for p in pairs:
        assert p['ko']['top'] >= p['en']['bottom'] - 0.5, \
            f'{what} {p["label"]}: Korean is not below its English'


@pytest.mark.parametrize('page', PAGES)
def test_wide_window_pairs_blocks_and_headings_in_rows(visit, page):
    v = open_in(visit, page, viewport=WIDE)
    found = v.page.evaluate(PAIRS)
    assert_side_by_side(found['pairs'], 'block')
    headings = v.page.evaluate(HEADINGS)
    assert_side_by_side(headings, 'heading')
    # The columns are the text's two halves, the same on every row: the
    # Korean side of a heading starts where the Korean blocks start.
    lefts = [p['ko']['left'] for p in found['pairs'] + headings]
    assert max(lefts) - min(lefts) <= 1, sorted(set(lefts))
    v.assert_clean()


@pytest.mark.parametrize('page', PAGES)
def test_reading_order_stays_english_then_korean(visit, page):
    """The layout moves nothing: the blocks and the heading spans come in
    the page's order as built (English, then its Korean twin), which is the
    order a screen reader follows, and no CSS `order` reverses them."""
    built = BeautifulSoup((HTML / page).read_text(encoding='utf-8'),
                          'html.parser')
    wanted = [e.get('lang') for e in built.select(ORDER_SELECTOR)]
    assert wanted[0] == 'en' and 'ko' in wanted, page
    v = open_in(visit, page, viewport=WIDE)
    shown = v.page.evaluate(f'''() => [...document.querySelectorAll(
        {ORDER_SELECTOR!r})].map(e => [e.lang, getComputedStyle(e).order])''')
    assert [lang for lang, _ in shown] == wanted
    assert {order for _, order in shown} == {'0'}
    for n, (lang, _) in enumerate(shown):
        if lang == 'ko':
            assert n and shown[n - 1][0] == 'en', f'{page}: Korean item {n} first'
    v.assert_clean()


@pytest.mark.parametrize('page', [p for p in PAGES if p != 'index.html'])
def test_code_outputs_and_figures_span_the_width(visit, page):
    v = open_in(visit, page, viewport=WIDE)
    spanning = v.page.evaluate(SPANNING)
    assert any('highlight-' in s['label'] for s in spanning), 'no code cell'
    for s in spanning:
        assert s['width'] > 0.9 * s['inner'], s


@pytest.mark.parametrize('page', PAGES)
def test_narrow_window_keeps_blocks_stacked(visit, page):
    v = open_in(visit, page, viewport=NARROW)
    assert_stacked(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.assert_clean()


@pytest.mark.parametrize('mode', ['both', 'en', 'ko'])
def test_other_modes_stay_stacked_on_a_wide_window(visit, mode):
    v = open_in(visit, 'chapters/deferred_init.html', mode, viewport=WIDE)
    if mode == 'both':
        assert_stacked(v.page.evaluate(PAIRS)['pairs'], 'block')
    spanning = v.page.evaluate(SPANNING)
    assert all(s['width'] > 0.9 * s['inner'] for s in spanning)


def test_paper_keeps_blocks_stacked(visit):
    v = open_in(visit, 'chapters/deferred_init.html', viewport=WIDE)
    v.page.emulate_media(media='print')
    assert_stacked(v.page.evaluate(PAIRS)['pairs'], 'printed block')


def test_growing_the_window_switches_the_layout_live(visit):
    v = open_in(visit, 'chapters/init_errors.html', viewport=NARROW)
    assert_stacked(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.page.set_viewport_size({'width': 1200, 'height': 900})  # the threshold
    v.page.wait_for_timeout(100)
    assert_side_by_side(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.page.set_viewport_size({'width': 1199, 'height': 900})
    v.page.wait_for_timeout(100)
    assert_stacked(v.page.evaluate(PAIRS)['pairs'], 'block')


# --- the switch ----------------------------------------------------------------

def test_choice_is_a_button_of_the_group_and_is_remembered(visit):
    v = visit(viewport=WIDE, locale='en-US')
    v.open(url('chapters/deferred_init.html'))
    assert v.page.evaluate('document.documentElement.dataset.lang') == 'en'
    group = v.page.locator('.lang-switch[role=group]')
    buttons = group.locator('button[data-lang-mode]')
    assert buttons.count() == 4
    side = group.locator('button[data-lang-mode=side]')
    label = side.get_attribute('title')
    assert 'Side by side' in label and HANGUL.search(label), label
    # Keyboard: the button takes the focus and Enter chooses it.
    side.focus()
    v.page.keyboard.press('Enter')
    assert v.page.evaluate('document.documentElement.dataset.lang') == 'side'
    pressed = [buttons.nth(n).get_attribute('aria-pressed')
               for n in range(buttons.count())]
    assert pressed == ['false', 'false', 'false', 'true'], pressed
    assert v.page.evaluate('localStorage.getItem("book-lang")') == 'side'
    # Both languages are shown, the title too, and the page is read as English.
    assert ' / ' in v.page.title() and HANGUL.search(v.page.title())
    assert v.page.evaluate('document.documentElement.lang') == 'en'
    assert_side_by_side(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.page.reload()
    v.settle()
    assert v.page.evaluate('document.documentElement.dataset.lang') == 'side'
    assert side.get_attribute('aria-pressed') == 'true'
    assert_side_by_side(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.page.click('#button-next')  # another page keeps the choice
    v.settle()
    assert_side_by_side(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.page.click('[data-lang-mode=both]')
    assert_stacked(v.page.evaluate(PAIRS)['pairs'], 'block')
    v.assert_clean()


# --- blocks that are not a plain pair ---------------------------------------

def test_a_block_without_its_twin_keeps_the_others_paired(visit):
    """A Korean block removed, one marked stale with its note, a note of
    both languages between two pairs: the English block left alone keeps a
    row of its own, the note spans the width, and every other pair still
    shares a row."""
    v = open_in(visit, 'chapters/deferred_init.html', viewport=WIDE)
    v.page.evaluate('''() => {
      const kos = document.querySelectorAll('.page-content .container.ko');
      kos[2].remove();
      const stale = kos[4];
      stale.classList.add('twin-stale');
      const note = document.createElement('p');
      note.className = 'twin-note';
      note.innerHTML = '<span lang="en">Out of date.</span>' +
        '<span lang="ko">오래되었습니다.</span>';
      stale.prepend(note);
      const box = document.createElement('div');
      box.className = 'admonition note';
      box.innerHTML = '<p class="admonition-title">Note / 참고</p>' +
        '<p><span lang="en">Both.</span> <span lang="ko">둘 다.</span></p>';
      kos[6].after(box);
    }''')
    found = v.page.evaluate(PAIRS)
    assert len(found['lone']) == 1
    assert_side_by_side(found['pairs'], 'block')
    lone = found['lone'][0]['en']
    below = [p for p in found['pairs'] if p['en']['top'] > lone['top']]
    assert below and below[0]['ko']['top'] >= lone['bottom'] - 0.5, \
        'the next pair starts below the lone block'
    note = [s for s in v.page.evaluate(SPANNING) if 'admonition' in s['label']]
    assert len(note) == 1 and note[0]['width'] > 0.9 * note[0]['inner'], note
    v.assert_clean()


# --- accessibility -------------------------------------------------------------

@pytest.mark.parametrize('scheme', ['light', 'dark'])
@pytest.mark.parametrize('page', PAGES)
def test_axe_finds_nothing_side_by_side(visit, page, scheme):
    v = open_in(visit, page, viewport=WIDE, color_scheme=scheme)
    v.assert_clean()
    results = Axe().run(v.page, options={
        'runOnly': {'type': 'tag', 'values': WCAG_AA},
        'resultTypes': ['violations']})
    found = [(r['id'], [n['target'] for n in r['nodes']][:3])
             for r in results.response['violations']]
    assert not found, f'{page} [side, {scheme}]: {found}'
