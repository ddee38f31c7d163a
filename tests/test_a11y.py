"""Accessible, valid pages: axe-core and the Nu HTML Checker find nothing.

axe-core (WCAG 2.0 and 2.1, levels A and AA) runs in Debian's Chromium on
every page, in each language mode and colour scheme, after the book's script
has run. The Nu HTML Checker (vnu.jar from npm, run with Debian's Java)
reads every page as written to disk.
"""
import json
import pathlib
import shutil
import subprocess

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import HTML, ROOT

PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob('*.html'))
# The search page once more, with results written by searchtools.js.
SEARCHES = ['search.html?q=initialization', 'search.html?q=초기화']
MODES = ('en', 'ko', 'both')
SCHEMES = ('light', 'dark')
WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
VNU = ROOT / 'node_modules' / 'vnu-jar' / 'build' / 'dist' / 'vnu.jar'


def open_page(visit, page, mode, scheme):
    """`page` in language `mode`, with the reader's system in `scheme`."""
    v = visit(color_scheme=scheme)
    v.context.add_init_script(
        f'try {{ localStorage.setItem("book-lang", "{mode}") }} catch (e) {{}}')
    path, _, query = page.partition('?')
    v.open((HTML / path).as_uri() + (f'?{query}' if query else ''))
    if query:  # the results come after the index has loaded
        v.page.wait_for_selector('#search-results li', timeout=10_000)
    shown = v.page.evaluate('() => [document.documentElement.dataset.lang, '
                            'document.documentElement.dataset.theme]')
    assert shown == [mode, scheme], f'{page}: asked for {mode}, {scheme}'
    return v


def report(violations, where):
    lines = []
    for v in violations:
        targets = [' '.join(map(str, n['target'])) for n in v['nodes']]
        lines.append(f'{where}: {v["id"]} ({v["impact"]}) on '
                     f'{len(targets)} element(s): {v["help"]}; e.g. '
                     + '; '.join(targets[:3]))
        summary = v['nodes'][0].get('failureSummary', '')
        lines.append('    ' + summary.replace('\n', '\n    ')[:400])
    return '\n'.join(lines)


def audit(page):
    results = Axe().run(page, options={
        'runOnly': {'type': 'tag', 'values': WCAG_AA},
        'resultTypes': ['violations']})
    return results.response['violations']


@pytest.mark.parametrize('scheme', SCHEMES)
@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('page', PAGES + SEARCHES)
def test_axe_finds_no_wcag_aa_violation(visit, page, mode, scheme):
    v = open_page(visit, page, mode, scheme)
    # Before axe runs: axe itself fetches the stylesheets again (for its
    # CSSOM), which file:// refuses, and which no reader's page does.
    v.assert_clean()
    violations = audit(v.page)
    assert not violations, report(violations, f'{page} [{mode}, {scheme}]')


def test_audit_reports_a_violation_by_rule_and_page(visit):
    """The audit itself can fail: grey-on-white text is caught and named."""
    v = open_page(visit, 'index.html', 'en', 'light')
    v.page.evaluate('''() => { const p = document.createElement('p');
        p.textContent = 'faint'; p.style.color = '#ddd';
        p.style.background = '#fff';
        document.querySelector('main, .page-content, body').prepend(p); }''')
    violations = audit(v.page)
    text = report(violations, 'index.html [en, light]')
    assert 'color-contrast' in text and 'index.html' in text, text


# --- the Nu HTML Checker ---------------------------------------------------

def vnu(*paths):
    """The checker's errors on `paths`, as `page:line: message` lines."""
    java = shutil.which('java')
    assert java, 'java missing: run `make test` (Debian openjdk-17-jre-headless)'
    assert VNU.exists(), f'{VNU} missing: run `make test` (npm ci)'
    proc = subprocess.run([java, '-jar', str(VNU), '--errors-only',
                           '--format', 'json', *map(str, paths)],
                          capture_output=True, text=True)
    messages = json.loads(proc.stderr or proc.stdout)['messages']
    errors = [m for m in messages if m['type'] in ('error', 'non-document-error')]
    assert proc.returncode == (1 if errors else 0), proc.stderr[-2000:]
    return [f'{shown(m.get("url", "?"))}:{m.get("lastLine", "?")}: '
            f'{m["message"]}' for m in errors]


def shown(url):
    """`chapters/x.html` for a page of the book, else the file's name."""
    path = pathlib.Path(url.removeprefix('file:'))
    return (path.relative_to(HTML).as_posix() if path.is_relative_to(HTML)
            else path.name)


def test_nu_html_checker_finds_no_error():
    pages = [HTML / p for p in PAGES]
    assert len(pages) >= 6, 'run `make html` first'
    errors = vnu(*pages)
    assert not errors, '\n'.join(errors)


def test_nu_html_checker_names_the_page_and_line(tmp_path):
    """The check itself can fail: the theme's own markup is an error."""
    page = tmp_path / 'bad-page-for-the-test.html'
    page.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                    '<meta charset="utf-8"><title>t</title></head><body>\n'
                    '<a href="x.html" role="botton">x</a></body></html>')
    errors = vnu(page)
    assert any(e.startswith('bad-page-for-the-test.html:2: Bad value “botton”')
               for e in errors), errors
    assert any('more than one “meta” element with a “charset”' in e
               for e in errors), errors
