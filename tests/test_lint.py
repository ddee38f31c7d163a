"""Tests of `python -m booktools.lint`, run as the Makefile runs it."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GLOSSARY = """\
# Terminology / 용어

| English | Korean | Avoid | Note |
|---------|--------|-------|------|
| parameter | 매개변수 | 파라미터, 패러미터 | |
| forward propagation | 순전파 | 전파 | not just 전파 |
| block | 블록 | 블럭 | |
"""

GOOD = """\
# Deferred Initialization / 지연 초기화
:label:`sec_deferred`

::: en
A block infers the shapes of its parameters, e.g. with `net.initialize()`.
See :numref:`sec_deferred`, https://d2l.ai/x.Html and $a.B$; 1.5 is a number,
`img/x.svg` a file and nd.random an API. Forward propagation runs.

It works. Then it stops!
:::

::: ko
블록은 매개변수의 모양을 추론합니다. 예를 들어 `net.initialize()`를 씁니다.
:numref:`sec_deferred`, https://d2l.ai/x.Html, $a.B$를 보세요. 1.5는 수입니다.
첫 순전파가 실행됩니다.

동작합니다. 그리고 멈춥니다!
:::

```{.python .input #first-forward}
x = '한국어.Then 파라미터'  # code is never linted: x.Then
::: fr
```

## Three Stages / 세 단계

::: en
1. Define the network.
2. Initialize it.
3. Run it.
:::

::: ko
1. 신경망을 정의합니다.
2. 초기화합니다.
3. 실행합니다.
:::

![Four stages / 네 단계](../img/stages.svg)
:width:`400px`

<!-- a note for authors,
     over two lines -->

::: en
- bullets
- work too
:::

::: ko
- 글머리표도
- 됩니다
:::
"""


def lint(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, '-m', 'booktools.lint', *args],
                          cwd=cwd, env=env, capture_output=True,
                          encoding='utf-8')


def lint_source(tmp_path, source):
    """Lint one file; returns (result, path as passed)."""
    glossary = tmp_path / 'TERMINOLOGY.md'
    glossary.write_text(GLOSSARY, encoding='utf-8')
    path = tmp_path / 'x.md'
    path.write_text(textwrap.dedent(source), encoding='utf-8')
    return lint(str(path), '--glossary', str(glossary)), path


def line_of(source, needle, nth=1):
    """1-based line of the nth line containing needle."""
    lines = textwrap.dedent(source).split('\n')
    hits = [n for n, line in enumerate(lines, 1) if needle in line]
    return hits[nth - 1]


def assert_problem(tmp_path, source, needle, message, nth=1):
    result, path = lint_source(tmp_path, source)
    assert result.returncode == 1, result.stdout + result.stderr
    line = line_of(source, needle, nth)
    expected = [ln for ln in result.stdout.splitlines()
                if ln.startswith(f'{path}:{line}: ') and message in ln]
    assert expected, f'want {path}:{line}: ...{message}...\n{result.stdout}'
    assert ' — ' in expected[0]  # every message names its fix
    return result.stdout


def test_good_sample_passes(tmp_path):
    result, _ = lint_source(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == 'lint: 1 files OK'


def test_defaults_are_index_and_chapters(tmp_path):
    (tmp_path / 'chapters').mkdir()
    (tmp_path / 'index.md').write_text(GOOD, encoding='utf-8')
    (tmp_path / 'chapters' / 'a.md').write_text(GOOD, encoding='utf-8')
    (tmp_path / 'chapters' / 'b.md').write_text(
        GOOD + '\nstray text\n', encoding='utf-8')
    (tmp_path / 'TERMINOLOGY.md').write_text(GLOSSARY, encoding='utf-8')
    result = lint(cwd=tmp_path)
    assert result.returncode == 1
    n = GOOD.count('\n') + 2
    assert result.stdout.splitlines() == [
        f'chapters/b.md:{n}: text outside a language block — put it in a '
        "'::: en' block followed by its '::: ko' twin"]
    (tmp_path / 'chapters' / 'b.md').unlink()
    result = lint(cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, 'lint: 2 files OK\n')


def test_the_real_book_passes():
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr


# 1. Twins and text outside the blocks

def test_english_block_without_korean_twin(tmp_path):
    source = """\
    ::: en
    Alone.
    :::

    ## Next / 다음
    """
    assert_problem(tmp_path, source, '::: en',
                   'English block has no Korean twin')


def test_korean_block_without_english_block(tmp_path):
    source = """\
    ## Title / 제목

    ::: ko
    혼자입니다.
    :::
    """
    assert_problem(tmp_path, source, '::: ko',
                   'Korean block has no English block right before it')


def test_second_korean_block_is_an_orphan(tmp_path):
    source = """\
    ::: en
    One.
    :::

    ::: ko
    하나입니다.
    :::

    ::: ko
    둘입니다.
    :::
    """
    out = assert_problem(tmp_path, source, '::: ko',
                         'Korean block has no English block', nth=2)
    assert out.count('\n') == 1


def test_twin_separated_by_a_figure(tmp_path):
    source = """\
    ::: en
    Text.
    :::

    ![Fig / 그림](a.svg)

    ::: ko
    글입니다.
    :::
    """
    assert_problem(tmp_path, source, '::: en', 'has no Korean twin')
    assert_problem(tmp_path, source, '::: ko', 'has no English block')


def test_text_outside_a_block(tmp_path):
    source = """\
    ## Title / 제목

    Some text that is in no block,
    over two lines (one problem).
    """
    out = assert_problem(tmp_path, source, 'Some text',
                         'text outside a language block')
    assert out.count('\n') == 1


# 2. Twins of different shapes

def test_list_against_paragraph(tmp_path):
    source = """\
    ::: en
    - one
    - two
    :::

    ::: ko
    하나와 둘입니다.
    :::
    """
    assert_problem(tmp_path, source, '::: ko',
                   'English has a bulleted list of 2 items, '
                   'Korean has a paragraph')


def test_list_items_differ(tmp_path):
    source = """\
    ::: en
    - one
    - two
    - three
    :::

    ::: ko
    - 하나
    - 둘
    :::
    """
    assert_problem(tmp_path, source, '::: ko',
                   'English has a bulleted list of 3 items, '
                   'Korean has a bulleted list of 2 items')


def test_numbered_against_bulleted(tmp_path):
    source = """\
    ::: en
    1. one
    2. two
    :::

    ::: ko
    - 하나
    - 둘
    :::
    """
    assert_problem(tmp_path, source, '::: ko',
                   'English has a numbered list of 2 items, '
                   'Korean has a bulleted list of 2 items')


def test_paragraph_count_differs(tmp_path):
    source = """\
    ::: en
    First.

    Second.
    :::

    ::: ko
    첫째입니다. 둘째입니다.
    :::
    """
    assert_problem(tmp_path, source, '::: ko',
                   'English has 2 paragraphs, Korean has a paragraph')


# 3. Headings and captions in both languages

@pytest.mark.parametrize('line, message', [
    ('## Forced Initialization', 'heading lacks one of the two languages'),
    ('## 강제 초기화', 'heading lacks one of the two languages'),
    ('## Forced/강제', 'heading lacks one of the two languages'),
    ('## 강제 / 초기화', "heading has Hangul before ' / '"),
    ('## Forced / Initialization', "heading has no Korean after ' / '"),
    ('## A / B / 씨', "heading has 2 ' / ' separators"),
    ('![Four stages](img/a.svg)', 'figure caption lacks one of the two'),
    ('![네 단계 / 네 단계](img/a.svg)', "figure caption has Hangul before"),
    ('![Four / stages](img/a.svg)', "figure caption has no Korean after"),
])
def test_title_in_both_languages(tmp_path, line, message):
    source = f'# Book / 책\n\n{line}\n'
    assert_problem(tmp_path, source, line, message)


def test_heading_inside_a_block(tmp_path):
    source = """\
    ::: en
    Text.

    ## Title / 제목
    :::
    """
    assert_problem(tmp_path, source, '## Title',
                   "heading inside the '::: en' block opened at line 1")


# 4. Terminology

def test_avoided_variant_in_korean_block(tmp_path):
    source = """\
    ::: en
    The parameters and the forward propagation.
    :::

    ::: ko
    순전파는 괜찮지만
    파라미터는 피합니다.
    :::
    """
    assert_problem(tmp_path, source, '파라미터',
                   "uses '파라미터', which TERMINOLOGY.md says to avoid — "
                   "use '매개변수' instead")


def test_avoided_variant_in_heading(tmp_path):
    source = '## Blocks / 블럭\n'
    assert_problem(tmp_path, source, '블럭', "uses '블럭'")


def test_preferred_term_containing_a_variant_is_fine(tmp_path):
    source = """\
    ::: en
    Forward propagation.
    :::

    ::: ko
    순전파입니다. 그런데 전파는 피합니다.
    :::
    """
    out = assert_problem(tmp_path, source, '그런데', "uses '전파'")
    assert out.count('\n') == 1  # 순전파 itself is not flagged


# 5. A space after each sentence end

def test_no_space_after_sentence_end_english(tmp_path):
    source = """\
    ::: en
    It is fine. But this works.Then
    it fails.
    :::

    ::: ko
    됩니다.
    :::
    """
    assert_problem(tmp_path, source, 'works.Then',
                   "no space after '.' in 'works.Then'")


def test_no_space_after_sentence_end_korean(tmp_path):
    source = """\
    ::: en
    It works. Then it fails.
    :::

    ::: ko
    동작합니다.다음에는 실패합니다. 정말요?네
    :::
    """
    out = assert_problem(tmp_path, source, '동작',
                         "no space after '.' in '동작합니다.다음에는'")
    assert "no space after '?' in '정말요?네'" in out


def test_code_after_sentence_end_counts(tmp_path):
    source = """\
    ::: en
    Call `f()`.Then `g`.
    :::

    ::: ko
    부릅니다.
    :::
    """
    assert_problem(tmp_path, source, 'Call', "no space after '.'")


# 6. Hangul in the right blocks

def test_hangul_in_english_block(tmp_path):
    source = """\
    ::: en
    Fine, `코드` is code.
    But 한국어 is not.
    :::

    ::: ko
    한국어입니다.
    :::
    """
    out = assert_problem(tmp_path, source, 'But 한국어',
                         'Hangul in an English block')
    assert out.count('\n') == 1


def test_korean_block_without_hangul(tmp_path):
    source = """\
    ::: en
    Text.
    :::

    ::: ko
    Text, `한국어` in code only.
    :::
    """
    assert_problem(tmp_path, source, '::: ko', 'Korean block has no Hangul')


# 7. Malformed divs

def test_unclosed_div(tmp_path):
    source = """\
    ::: en
    Text.
    :::

    ::: ko
    글입니다.
    """
    assert_problem(tmp_path, source, '::: ko',
                   "'::: ko' block is never closed")


def test_nested_div(tmp_path):
    source = """\
    ::: en
    Text, and its closing line is missing.

    ::: ko
    글입니다.
    :::
    """
    out = assert_problem(tmp_path, source, '::: ko',
                         "'::: ko' opens inside the '::: en' block opened at "
                         'line 1')
    assert out.count('\n') == 1  # and the rest still pairs up


def test_div_with_another_language(tmp_path):
    source = """\
    ::: en
    Text.
    :::

    ::: kr
    글입니다.
    :::
    """
    assert_problem(tmp_path, source, '::: kr',
                   "'::: kr' is not a language block — write '::: en' or "
                   "'::: ko'")


def test_stray_closing_fence(tmp_path):
    source = """\
    ## Title / 제목

    :::
    """
    assert_problem(tmp_path, source, ':::', "':::' closes no block")


def test_unclosed_code_fence(tmp_path):
    source = """\
    ## Title / 제목

    ```{.python .input}
    x = 1
    """
    assert_problem(tmp_path, source, '```', 'is never closed')


def test_missing_glossary_given_is_a_problem(tmp_path):
    path = tmp_path / 'x.md'
    path.write_text(GOOD, encoding='utf-8')
    result = lint(str(path), '--glossary', str(tmp_path / 'nope.md'))
    assert result.returncode == 1
    assert 'nope.md:1: glossary not found' in result.stdout
