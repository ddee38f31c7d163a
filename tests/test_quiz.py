"""Self-check questions (booktools/quiz.py): the form is validated with
file:line errors, marked answers agree with the evaluated outputs, and the
site renders them as working radio groups."""
import json
import pathlib

import pytest

from booktools import BookError, quiz
from conftest import BOOK, EVAL, HTML, ROOT

GOOD = '''intro

```quiz
cell: c1
output: (256, 0)
en: What shape?
ko: 무슨 모양입니까?
- [x] `(256, 0)`
  en: Right, unknown width.
  ko: 맞습니다. 너비를 모릅니다.
- [ ] `(256, 20)`
  en: After data only.
  ko: 데이터 다음에만 그렇습니다.
```
'''
LESSONS = [p for p in sorted((ROOT / 'chapters').glob('*.md'))
           if p.stem != 'exercise_solutions']


def messages(text):
    return [(n, m) for n, m in quiz.problems(text, 'x.md')]


def test_a_complete_question_has_no_problems():
    (q,) = quiz.parse(GOOD)
    assert q.line == 3 and len(q.options) == 2 and q.right[0].line == 8
    assert messages(GOOD) == []


def test_a_missing_korean_question_is_named_at_the_fence():
    found = messages(GOOD.replace('ko: 무슨 모양입니까?\n', ''))
    assert found == [(3, 'quiz has no Korean question — add a `ko:` line')]


def test_a_missing_explanation_is_named_at_its_option():
    found = messages(GOOD.replace('  ko: 데이터 다음에만 그렇습니다.\n', ''))
    assert len(found) == 1
    line, message = found[0]
    assert line == 11 and 'no Korean explanation' in message


def test_no_right_answer_is_an_error():
    found = messages(GOOD.replace('- [x]', '- [ ]'))
    assert found == [(3, 'quiz has 0 right answers — mark exactly one '
                         'option `- [x]`')]


def test_an_unreadable_line_and_an_open_fence_are_named():
    text = GOOD.replace('- [ ] `(256, 20)`', '* (256, 20)')
    assert any(n == 11 and 'cannot read' in m for n, m in messages(text))
    assert any('no closing' in m for n, m in messages(GOOD.rstrip()[:-3]))


def notebook(output):
    return {'cells': [{'cell_type': 'code', 'metadata': {'attributes': {
        'id': 'c1'}}, 'outputs': [{'output_type': 'stream', 'text': output}]}]}


def test_an_answer_that_disagrees_with_the_output_is_named():
    questions = quiz.parse(GOOD)
    assert quiz.check_outputs(questions, notebook('(256, 0)\n')) == []
    found = quiz.check_outputs(questions, notebook('(256, 20)\n'))
    assert [n for n, _ in found] == [3] and '#c1' in found[0][1]
    moved = quiz.parse(GOOD.replace('- [x]', '- [y]').replace(
        '- [ ] `(256, 20)`', '- [x] `(256, 20)`').replace('- [y]', '- [ ]'))
    found = quiz.check_outputs(moved, notebook('(256, 0)\n'))
    assert [n for n, _ in found] == [11]
    assert 'does not match' in found[0][1]


def test_every_lesson_has_two_to_four_complete_questions():
    for path in LESSONS:
        text = path.read_text(encoding='utf-8')
        questions = quiz.parse(text, path)
        assert 2 <= len(questions) <= 4, path.name
        assert quiz.problems(text, path) == [], path.name


def test_the_books_marked_answers_agree_with_its_outputs(tmp_path):
    quiz.check_book(LESSONS, EVAL)  # raises on any disagreement
    # One answer changed, in a copy: the check names that file and line.
    chapters = tmp_path / 'chapters'
    chapters.mkdir()
    src = (ROOT / 'chapters' / 'deferred_init.md').read_text(encoding='utf-8')
    wrong = src.replace('- [x] `(256, 0)`', '- [ ] `(256, 0)`', 1).replace(
        '- [ ] `(256, 20)`', '- [x] `(256, 20)`', 1)
    assert wrong != src
    (chapters / 'deferred_init.md').write_text(wrong, encoding='utf-8')
    line = 1 + wrong[:wrong.index('- [x] `(256, 20)`')].count('\n')
    with pytest.raises(BookError) as e:
        quiz.check_book([chapters / 'deferred_init.md'], EVAL)
    assert f'chapters/deferred_init.md:{line}:' in str(e.value)


def test_a_passed_chapter_is_not_checked_again_until_it_changes(
        tmp_path, monkeypatch):
    """With a record, the build re-reads only the chapters (or evaluated
    notebooks) whose stat changed since they passed; a failing chapter is
    not recorded, so it fails again."""
    chapters = tmp_path / 'chapters'
    chapters.mkdir()
    for path in LESSONS:
        (chapters / path.name).write_bytes(path.read_bytes())
    copies = sorted(chapters.glob('*.md'))
    record = tmp_path / 'quiz-checked.json'
    quiz.check_book(copies, EVAL, record)
    assert set(json.loads(record.read_text())) == {'', *(p.name for p in
                                                         copies)}
    read = []
    real = quiz.parse
    monkeypatch.setattr(quiz, 'parse', lambda text, path=None: (
        read.append(pathlib.Path(path).name), real(text, path))[1])
    quiz.check_book(copies, EVAL, record)
    assert read == []
    edited = chapters / 'deferred_init.md'
    src = edited.read_text(encoding='utf-8')
    wrong = src.replace('- [x] `(256, 0)`', '- [ ] `(256, 0)`', 1).replace(
        '- [ ] `(256, 20)`', '- [x] `(256, 20)`', 1)
    edited.write_text(wrong, encoding='utf-8')
    for _ in range(2):  # not recorded as passed: it fails every time
        with pytest.raises(BookError, match='chapters/deferred_init.md:'):
            quiz.check_book(copies, EVAL, record)
    assert read == ['deferred_init.md', 'deferred_init.md']
    edited.write_text(src, encoding='utf-8')
    quiz.check_book(copies, EVAL, record)
    assert read[2:] == ['deferred_init.md']


def test_lint_reports_an_incomplete_question(tmp_path):
    from booktools import lint
    bad = tmp_path / 'x.md'
    bad.write_text(GOOD.replace('  en: After data only.\n', ''),
                   encoding='utf-8')
    assert lint.main([str(bad), '--twins', str(tmp_path / 'none.tsv'),
                      '--glossary', str(ROOT / 'TERMINOLOGY.md')]) == 1


# --- in the browser ---------------------------------------------------------

@pytest.mark.parametrize('mode', ['en', 'ko', 'both'])
def test_choosing_an_option_shows_its_explanation(visit, mode):
    lesson = HTML / 'chapters' / 'deferred_init.html'
    v = visit()
    page = v.page
    page.add_init_script(f"localStorage.setItem('book-lang', '{mode}')")
    v.open(lesson.as_uri())
    assert page.evaluate('document.documentElement.dataset.lang') == mode
    quizzes = page.locator('.quiz')
    assert quizzes.count() >= 2
    first = quizzes.first
    options = first.locator('.quiz-option')
    explain = first.locator('.quiz-explain')
    assert explain.nth(0).is_hidden() and explain.nth(1).is_hidden()
    options.nth(1).click()  # the mouse: a wrong answer
    assert options.nth(1).get_attribute('aria-checked') == 'true'
    shown = explain.nth(1)
    assert shown.is_visible() and explain.nth(0).is_hidden()
    en, ko = shown.locator('[lang="en"]'), shown.locator('[lang="ko"]')
    assert en.is_visible() == (mode != 'ko')
    assert ko.is_visible() == (mode != 'en')
    # The keyboard: arrow up moves to the right answer and chooses it.
    options.nth(1).focus()
    page.keyboard.press('ArrowUp')
    assert page.evaluate('document.activeElement.dataset.right') == 'true'
    assert explain.nth(0).is_visible() and explain.nth(1).is_hidden()
    assert first.locator('[aria-live="polite"]').count() == 1
    v.assert_clean()


def test_every_lesson_page_has_its_questions(visit):
    v = visit()
    page = v.page
    for path in LESSONS:
        v.open((HTML / 'chapters' / f'{path.stem}.html').as_uri())
        assert page.locator('.quiz').count() == len(
            quiz.parse(path.read_text(encoding='utf-8')))
        assert page.locator('.quiz').count() >= 2


# --- notebooks and the PDF --------------------------------------------------

def test_notebooks_keep_the_question_and_its_answer_cell(tmp_path):
    import nbformat
    from booktools import notebooks
    notebooks.export(tmp_path / 'nbs')
    for edition, lang in notebooks.EDITIONS.items():
        for path in LESSONS:
            questions = quiz.parse(path.read_text(encoding='utf-8'))
            nb = nbformat.read(tmp_path / 'nbs' / edition / 'chapters' /
                               f'{path.stem}.ipynb', 4)
            sources = [c.source for c in nb.cells]
            assert not any('```quiz' in s for s in sources)
            for q in questions:
                ask = [i for i, s in enumerate(sources)
                       if q.fields['ko' if lang == 'ko' else 'en'] in s and
                       nb.cells[i].cell_type == 'markdown']
                assert len(ask) == 1, (edition, path.name)
                answer = sources[ask[0] + 1]
                explain = q.right[0].explain['ko' if lang == 'ko' else 'en']
                assert explain in answer


@pytest.mark.built_book
def test_the_pdf_has_numbered_review_questions_and_answers_at_the_end():
    # Build the English PDF (quick when it is up to date), as `make pdf`
    # does, rather than count on another test file having built it.
    import os
    import subprocess
    import sys
    env = {**os.environ, 'PATH': f'{pathlib.Path(sys.executable).parent}:'
                                 f'{os.environ.get("PATH", "/usr/bin:/bin")}'}
    made = subprocess.run([sys.executable, '-m', 'booktools.pdf', 'en'],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    pdf = BOOK.pdf / 'deferred-init-en.pdf'
    text = subprocess.run(['pdftotext', str(pdf), '-'], capture_output=True,
                          text=True, check=True).stdout
    flat = ' '.join(text.split())
    q = quiz.parse((ROOT / 'chapters' / 'init_errors.md').read_text(
        encoding='utf-8'))[0]
    first = ' '.join(q.fields['en'].replace('`', '').split()[:4])
    asked = flat.find(first)
    answers = flat.find('Answers to the review questions', asked)
    assert asked > 0 and answers > asked
    assert 'Question 1.' in flat and 'Answer 1:' in flat
    right = ' '.join(q.right[0].explain['en'].split()[:5])
    assert flat.find(right, answers) > answers


def test_a_wrong_marked_answer_fails_the_build_naming_its_line(book):
    """Through `make html`'s build of a copy: the message is the quiz's own
    `file:line: problem — fix`, and once the answer is right again (the
    failing chapter was not recorded as passed) the build succeeds."""
    from conftest import build
    src = book / 'chapters' / 'deferred_init.md'
    good = src.read_text(encoding='utf-8')
    wrong = good.replace('- [x] `(256, 0)`', '- [ ] `(256, 0)`', 1).replace(
        '- [ ] `(256, 20)`', '- [x] `(256, 20)`', 1)
    assert wrong != good
    src.write_text(wrong, encoding='utf-8')
    line = 1 + wrong[:wrong.index('- [x] `(256, 20)`')].count('\n')
    result = build(book)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert f'chapters/deferred_init.md:{line}: quiz\'s marked answer' in out
    assert 'mark the option that matches' in out
    assert 'Handler' not in out and 'Traceback' not in out, out
    src.write_text(good, encoding='utf-8')
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
