"""Per-language notebooks: only their language's prose, every code cell,
every output; and the language filter never drops neutral text."""
import re
import shutil
import zipfile

import nbformat
import pytest

from booktools import langs, notebooks
from conftest import EVAL

HANGUL = re.compile(r'[\uac00-\ud7a3]')


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    return notebooks.export(tmp_path_factory.mktemp('notebooks'))


def prose(nb):
    return '\n'.join(c.source for c in nb.cells if c.cell_type == 'markdown')


def code(nb):
    return [(c.source, c.outputs) for c in nb.cells if c.cell_type == 'code']


def english_sentences(md):
    """First lines of the English blocks of a bilingual notebook."""
    return re.findall(r'^::: en\n(.{20,})$', md, re.M)


@pytest.mark.parametrize('edition', ['en', 'ko', 'bilingual'])
def test_every_code_cell_and_output_is_kept(exported, edition):
    for src in sorted(EVAL.rglob('*.ipynb')):
        original = nbformat.read(src, as_version=4)
        copy = nbformat.read(exported / edition / src.relative_to(EVAL), 4)
        assert code(copy) == code(original), src.name
        assert ':::' not in prose(copy)


def test_english_edition_has_no_korean_and_korean_no_english(exported):
    for src in sorted((EVAL / 'chapters').glob('*.ipynb')):
        bilingual = prose(nbformat.read(src, as_version=4))
        en = prose(nbformat.read(exported / 'en' / 'chapters' / src.name, 4))
        ko = prose(nbformat.read(exported / 'ko' / 'chapters' / src.name, 4))
        assert not HANGUL.search(en), src.name
        assert HANGUL.search(ko)
        sentences = english_sentences(bilingual)
        assert sentences, src.name
        for sentence in sentences:
            assert sentence in en and sentence not in ko, sentence


def test_zip_holds_all_three_editions(exported):
    with zipfile.ZipFile(exported / notebooks.ZIP_NAME) as z:
        names = set(z.namelist())
    for edition in notebooks.EDITIONS:
        assert f'{edition}/chapters/deferred_init.ipynb' in names
        assert f'{edition}/img/deferred-init-stages.svg' in names


def test_select_keeps_neutral_text_and_splits_headings():
    md = ('# Title / 제목\n\n::: en\nHello.\n:::\n\n::: ko\n안녕하세요.\n:::\n\n'
          'Neutral line.\n\n```{.python .input}\n# ::: ko stays in code\n```\n'
          '![Fig / 그림](../img/a.svg)')
    en, ko = langs.select(md, 'en'), langs.select(md, 'ko')
    assert en.startswith('# Title\n') and ko.startswith('# 제목\n')
    assert 'Hello.' in en and '안녕하세요.' not in en
    assert '안녕하세요.' in ko and 'Hello.' not in ko
    for text in (en, ko, langs.select(md, 'both')):
        assert 'Neutral line.' in text
        assert '# ::: ko stays in code' in text
    assert '![Fig](../img/a.svg)' in en and '![그림](../img/a.svg)' in ko


def test_each_chapter_page_links_its_three_notebooks():
    from conftest import CHAPTERS, HTML
    for name in CHAPTERS:
        page = HTML / 'chapters' / f'{name}.html'
        html = page.read_text()
        for edition in notebooks.EDITIONS:
            href = f'../notebooks/{edition}/chapters/{name}.ipynb'
            assert f'href="{href}"' in html, (name, edition)
            nb = nbformat.read(page.parent / href, as_version=4)
            assert any(c.get('outputs') for c in nb.cells)
        assert f'href="../notebooks/{notebooks.ZIP_NAME}"' in html


def test_select_svg_keeps_one_languages_labels():
    svg = ('<svg><text x="1" lang="en">Construct</text>\n'
           '<text x="1" lang="ko">생성</text>\n'
           '<text font-family="Mono">net(X)</text>\n'
           '<text>Title / 제목</text></svg>')
    en, ko = langs.select_svg(svg, 'en'), langs.select_svg(svg, 'ko')
    assert 'Construct' in en and '생성' not in en and '>Title<' in en
    assert '생성' in ko and 'Construct' not in ko and '>제목<' in ko
    assert 'net(X)' in en and 'net(X)' in ko
    assert langs.select_svg(svg, 'both') == svg


def test_notebooks_are_valid_and_unchanged_by_a_jupyter_round_trip(
        exported, tmp_path):
    """Read and saved again as Jupyter saves them, byte for byte the same."""
    paths = sorted(exported.rglob('*.ipynb'))
    assert len(paths) == len(notebooks.EDITIONS) * len(
        list(EVAL.rglob('*.ipynb')))
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        again = tmp_path / path.name
        nbformat.write(nb, again)
        assert again.read_bytes() == path.read_bytes(), path


def test_notebook_metadata_is_what_the_kernel_reports(exported):
    """JupyterLab writes the kernel's language_info and kernelspec into a
    notebook it opens: they must already be what it would write, or the
    notebook opens marked as modified."""
    import json
    import sys
    from jupyter_client.manager import start_new_kernel
    from jupyter_client.kernelspec import KernelSpecManager
    from conftest import ROOT
    manager, client = start_new_kernel(kernel_name='python3')
    try:
        reply = client.kernel_info(reply=True, timeout=60)
        language_info = reply['content']['language_info']
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    # `make lab` puts this environment's kernels first (JUPYTER_PATH).
    spec = json.loads((ROOT / '.venv' / 'share' / 'jupyter' / 'kernels' /
                       'python3' / 'kernel.json').read_text())
    assert language_info['version'] == sys.version.split()[0]
    for path in sorted(exported.rglob('*.ipynb')):
        meta = json.loads(path.read_text())['metadata']
        assert meta['language_info'] == language_info, path
        assert meta['kernelspec'] == {'name': 'python3',
                                      'display_name': spec['display_name'],
                                      'language': spec['language']}, path


def test_jupyterlab_opens_them_unmodified(exported, browser, tmp_path):
    """The real thing: JupyterLab (the one `make lab` runs) opens an
    exported notebook, starts its kernel, and does not mark it modified;
    the same notebook with the old, short language_info it does mark."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from conftest import ROOT
    folder = tmp_path / 'lab'
    shutil.copytree(exported / 'en', folder)
    old = nbformat.read(folder / 'chapters' / 'deferred_init.ipynb', 4)
    old.metadata['language_info'] = {'name': 'python'}
    nbformat.write(old, folder / 'chapters' / 'old.ipynb')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    home = tmp_path / 'home'
    env = {**os.environ, 'HOME': str(home),
           'JUPYTER_PATH': str(ROOT / '.venv' / 'share' / 'jupyter'),
           'JUPYTER_CONFIG_DIR': str(home / 'config'),
           'JUPYTER_DATA_DIR': str(home / 'data'),
           'JUPYTER_RUNTIME_DIR': str(home / 'runtime')}
    lab = subprocess.Popen(
        [sys.executable, '-m', 'jupyter', 'lab', f'--port={port}',
         '--no-browser', '--allow-root', '--IdentityProvider.token=',
         '--ServerApp.password=', f'--notebook-dir={folder}'],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + 'api/status').read()
                break
            except OSError:
                assert time.monotonic() < deadline, 'JupyterLab did not start'
                assert lab.poll() is None, 'JupyterLab exited'
                time.sleep(0.5)

        DIRTY = ('() => document.querySelectorAll(".lm-TabBar-tab.'
                 'jp-mod-current.jp-mod-dirty").length')

        def open_idle(name):
            page = browser.new_page()
            # ?reset: a fresh workspace, without the last test's tab.
            page.goto(f'{url}lab/tree/chapters/{name}?reset')
            page.wait_for_function(
                '() => [...document.querySelectorAll(".jp-KernelStatus,'
                ' .jp-Notebook-ExecutionIndicator")].some(e => '
                'e.textContent.includes("Idle"))', timeout=60000)
            return page

        # The control first: the old metadata is marked modified once the
        # kernel's reply is applied. Waiting for that event tells how long
        # the reply takes on this machine.
        page = open_idle('old.ipynb')
        start = time.monotonic()
        try:
            page.wait_for_function(f'() => ({DIRTY})() === 1', timeout=60000)
        finally:
            page.close()
        applied = time.monotonic() - start
        # The exported notebook: given the same time and more, still clean.
        page = open_idle('deferred_init.ipynb')
        try:
            page.wait_for_timeout(max(2000, 3000 * applied))
            assert page.evaluate(DIRTY) == 0
        finally:
            page.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
