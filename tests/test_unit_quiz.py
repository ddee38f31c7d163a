"""In-process unit tests of booktools.quiz: reading ```quiz blocks, naming
what is incomplete by line, checking the marked answer against a cell's
output, and the Markdown the notebooks and the PDF get. No build."""
import nbformat

from booktools import quiz

# Line numbers (1-based) beside each line.
CHAPTER = '\n'.join([
    'Some prose before.',                  # 1
    '```{.python .input #params}',         # 2 another fence: skipped
    'print("```quiz")',                    # 3
    '```',                                 # 4
    '```quiz',                             # 5
    'cell: params',                        # 6
    'output: (256, 0)',                    # 7
    'en: What shape does the weight have?',  # 8
    'ko: 가중치의 모양은 무엇입니까?',          # 9
    '- [x] `(256, 0)`',                    # 10
    '  en: The input width is unknown.',   # 11
    '  ko: 입력 너비를 아직 모릅니다.',         # 12
    '',                                    # 13 blank lines are allowed
    '- [ ] Zero columns / 열이 없음',        # 14
    '  en: Close, but the shape has a 0.',  # 15
    '  ko: 모양에 0이 있습니다.',             # 16
    '```',                                 # 17
])


def question():
    q, = quiz.parse(CHAPTER, 'chapters/x.md')
    return q


def test_parse_reads_fields_options_and_explanations_with_lines():
    q = question()
    assert (q.path, q.line) == ('chapters/x.md', 5)
    assert q.fields == {'cell': 'params', 'output': '(256, 0)',
                        'en': 'What shape does the weight have?',
                        'ko': '가중치의 모양은 무엇입니까?'}
    assert [(o.line, o.right, o.text) for o in q.options] == [
        (10, True, '`(256, 0)`'), (14, False, 'Zero columns / 열이 없음')]
    assert q.options[1].explain == {'en': 'Close, but the shape has a 0.',
                                    'ko': '모양에 0이 있습니다.'}
    assert q.problems == [] and quiz.validate(q) == []


def test_an_incomplete_question_is_named_line_by_line():
    text = '\n'.join([
        '```quiz',            # 1
        'en: Which one?',     # 2
        'ko: Which one?',     # 3 no Hangul
        'cell: params',       # 4 no output:
        '- [x] A',            # 5 no Korean explanation
        '  en: Yes.',         # 6
        '- [X] B',            # 7 a second right answer
        '  en: Also yes.',    # 8
        '  ko: 이것도 맞습니다.',  # 9
        '```',                # 10
    ])
    q, = quiz.parse(text)
    assert quiz.validate(q) == [
        (1, 'quiz `ko:` question has no Korean text'),
        (1, 'quiz has 2 right answers — mark exactly one option `- [x]`'),
        (5, 'quiz option has no Korean explanation — add an indented '
            '`  ko:` line under it'),
        (1, 'quiz names a `cell:` without an `output:` (or the reverse) — '
            'give both, or neither'),
    ]


def test_a_quiz_shown_inside_another_fence_is_not_a_question():
    text = '\n'.join([
        '````markdown',       # 1 an example, as AUTHORING.md would show it
        '```quiz',            # 2
        'en: Example?',       # 3
        '```',                # 4
        '````',               # 5
        '```quiz',            # 6 the real one
        'en: Real?',          # 7
        '```',                # 8
    ])
    assert [(q.line, q.fields) for q in quiz.parse(text)] == [
        (6, {'en': 'Real?'})]


def test_missing_questions_and_too_few_options():
    q, = quiz.parse('```quiz\n- [ ] Only one\n```')
    assert quiz.validate(q) == [
        (1, 'quiz has no English question — add a `en:` line'),
        (1, 'quiz has no Korean question — add a `ko:` line'),
        (1, 'quiz needs at least two options (`- [x] …` and `- [ ] …`)'),
        (1, 'quiz has 0 right answers — mark exactly one option `- [x]`'),
        (2, 'quiz option has no English explanation — add an indented '
            '`  en:` line under it'),
        (2, 'quiz option has no Korean explanation — add an indented '
            '`  ko:` line under it'),
    ]


def test_unreadable_lines_a_late_field_and_an_open_fence_are_problems():
    text = '\n'.join([
        'prose',              # 1
        '```quiz',            # 2
        'en: Q?',             # 3
        'question: Q?',       # 4 no such field
        '- [x] A',            # 5
        'ko: 질문?',           # 6 a field after the options
        '   en: three spaces',  # 7 explanations take two
    ])
    q, = quiz.parse(text)
    assert [n for n, _ in q.problems] == [4, 6, 7, 2]
    assert q.problems[0][1].startswith('cannot read `question: Q?` in a quiz')
    assert q.problems[-1][1] == 'quiz block has no closing ``` fence'
    assert q.fields == {'en': 'Q?'}


def test_problems_gathers_every_question_of_a_chapter():
    text = CHAPTER + '\n```quiz\nen: Q?\n```\n'
    found = quiz.problems(text, 'chapters/x.md')
    assert found and {n for n, _ in found} == {18}


def notebook(*cells):
    return {'cells': [
        {'cell_type': 'code', 'metadata': {'attributes': {'id': cid}},
         'outputs': outputs} for cid, outputs in cells]}


PRINTED = [{'output_type': 'stream', 'name': 'stdout',
            'text': ['dense0_weight (shape=', '(256, 0), dtype=float32)\n']}]


def test_a_marked_answer_that_matches_the_output_passes():
    assert quiz.check_outputs([question()],
                              notebook(('params', PRINTED))) == []


def test_an_output_the_cell_did_not_print_is_named():
    q = question()
    q.fields['output'] = '(256, 20)'
    assert quiz.check_outputs([q], notebook(('params', PRINTED))) == [
        (5, "quiz expects `(256, 20)` in the output of #params, which "
            "printed 'dense0_weight (shape=(256, 0), dtype=float32)' — fix "
            "the answer"),
        (10, "quiz's marked answer '`(256, 0)`' does not match its "
             "`output:` '(256, 20)' — mark the option that matches"),
    ]


def test_the_wrong_option_marked_is_named_at_its_line():
    q = question()
    q.options[0].right, q.options[1].right = False, True
    assert quiz.check_outputs([q], notebook(('params', PRINTED))) == [
        (14, "quiz's marked answer 'Zero columns / 열이 없음' does not match "
             "its `output:` '(256, 0)' — mark the option that matches")]


def test_either_half_of_a_bilingual_option_may_match():
    q = question()
    # Neither the whole option nor the output holds the other; one half
    # of the option is in the output.
    q.fields['output'] = 'shape: Zero columns'
    q.options[0].right, q.options[1].right = False, True
    out = [{'output_type': 'execute_result',
            'data': {'text/plain': 'shape: Zero columns'}}]
    assert quiz.check_outputs([q], notebook(('params', out))) == []


def test_a_cell_the_chapter_lacks_and_error_outputs():
    q = question()
    q.fields['cell'] = 'nope'
    assert quiz.check_outputs([q], notebook(('params', PRINTED))) == [
        (5, 'quiz names cell #nope, which the chapter does not have')]
    err = [{'output_type': 'error', 'ename': 'DeferredInitializationError',
            'evalue': 'not initialized', 'traceback': []}]
    q = question()
    q.fields['output'] = 'DeferredInitializationError: not initialized'
    q.options[0].text = '`DeferredInitializationError`'
    assert quiz.check_outputs([q], notebook(('params', err))) == []


def test_a_question_without_a_cell_is_not_checked():
    q, = quiz.parse('```quiz\nen: Q?\n- [x] A\n- [ ] B\n```')
    assert quiz.check_outputs([q], {'cells': []}) == []


def cells():
    return [nbformat.v4.new_markdown_cell(
                'Before.\n\n' + CHAPTER[CHAPTER.index('\n```quiz') + 1:] +
                '\n\nAfter.'),
            nbformat.v4.new_code_cell('net.initialize()')]


QUESTION_EN = ('**Check yourself:** What shape does the weight have?\n\n'
               '- **(a)** `(256, 0)`\n'
               '- **(b)** Zero columns')
ANSWER_EN = ('**Answer:** (a) `(256, 0)`\n\n'
             '- **(a)** (Right): The input width is unknown.\n'
             '- **(b)**: Close, but the shape has a 0.')


def test_notebook_cells_put_the_answer_in_the_cell_after_the_question():
    out = quiz.notebook_cells(cells(), 'en')
    assert [(c.cell_type, c.source) for c in out] == [
        ('markdown', 'Before.'),
        ('markdown', QUESTION_EN),
        ('markdown', ANSWER_EN),
        ('markdown', 'After.'),
        ('code', 'net.initialize()')]


def test_notebook_cells_in_both_languages():
    _, question_cell, answer_cell, _, _ = quiz.notebook_cells(cells(),
                                                              'both')
    assert question_cell.source == (
        '**Check yourself / 스스로 확인:** What shape does the weight have? '
        '가중치의 모양은 무엇입니까?\n\n'
        '- **(a)** `(256, 0)`\n'
        '- **(b)** Zero columns / 열이 없음')
    assert answer_cell.source.splitlines()[2] == (
        '- **(a)** (Right / 맞음): The input width is unknown. '
        '입력 너비를 아직 모릅니다.')


def test_review_cells_number_the_questions_and_answer_at_the_end():
    two = cells() + cells()
    out = quiz.review_cells(two, 'ko')
    sources = [c.source for c in out]
    assert sources[:2] == ['Before.', '**문제 1.** 가중치의 모양은 무엇입니까?'
                           '\n\n- **(a)** `(256, 0)`\n- **(b)** 열이 없음']
    assert sources[5].startswith('**문제 2.**')
    assert sources[-1] == (
        '## 복습 문제의 정답\n\n'
        '**정답 1:** (a) `(256, 0)`\n\n'
        '- **(a)** (맞음): 입력 너비를 아직 모릅니다.\n'
        '- **(b)**: 모양에 0이 있습니다.\n\n'
        '**정답 2:** (a) `(256, 0)`\n\n'
        '- **(a)** (맞음): 입력 너비를 아직 모릅니다.\n'
        '- **(b)**: 모양에 0이 있습니다.')
    assert len(out) == 9  # 2 x (prose, question, prose, code) + answers


def test_review_cells_without_questions_add_nothing():
    plain = [nbformat.v4.new_markdown_cell('Just prose.')]
    assert [c.source for c in quiz.review_cells(plain, 'en')] == [
        'Just prose.']
