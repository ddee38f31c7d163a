"""Self-check questions: a ```quiz fenced block in a chapter's Markdown.

    ```quiz
    cell: params-after-init
    output: dense0_weight (shape=(256, 0)
    en: What shape does `dense0_weight` have after `initialize()`?
    ko: `initialize()` 다음 `dense0_weight`의 모양은 무엇입니까?
    - [x] `(256, 0)`
      en: The input width is still unknown, so it is 0.
      ko: 입력 너비를 아직 모르므로 0입니다.
    - [ ] `(256, 20)`
      en: That is the shape after the first forward pass.
      ko: 첫 순전파 다음의 모양입니다.
    ```

Written here rather than with a kept library: no quiz package for Sphinx 5.3
checks an answer against a notebook's evaluated output, keeps two languages
per question, or works offline without a server. The grammar is a few lines.

`parse` reads the blocks of one chapter, `validate` names every incomplete
one by file and line, `check_outputs` compares each marked answer with the
evaluated cell it names, and `html` renders one question for the site.
"""
import html as _html
import re

from booktools import BookError
from booktools.langs import HANGUL

FENCE = re.compile(r'^```quiz[ \t]*$')
OPTION = re.compile(r'^- \[([ xX])\] (.+)$')
FIELD = re.compile(r'^(en|ko|cell|output): ?(.*)$')
EXPLAIN = re.compile(r'^  (en|ko): ?(.*)$')


class Option:
    def __init__(self, line, right, text):
        self.line, self.right, self.text = line, right, text
        self.explain = {}


class Question:
    def __init__(self, path, line):
        self.path, self.line = path, line
        self.fields = {}
        self.options = []
        self.problems = []  # (line, message), found while parsing

    @property
    def right(self):
        return [o for o in self.options if o.right]


def parse(text, path='<string>'):
    """The questions of one chapter, in order. Lines are 1-based."""
    questions, current = [], None
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        if current is None:
            if fence is None and FENCE.match(line):
                current = Question(path, n)
            elif line.startswith('```'):
                fence = None if fence else line  # skip other fenced blocks
            continue
        if line.strip() == '```':
            questions.append(current)
            current = None
            continue
        if not line.strip():
            continue
        m = OPTION.match(line)
        if m:
            current.options.append(Option(n, m[1] != ' ', m[2].strip()))
            continue
        m = EXPLAIN.match(line)
        if m and current.options:
            current.options[-1].explain[m[1]] = m[2].strip()
            continue
        m = FIELD.match(line)
        if m and not current.options:
            current.fields[m[1]] = m[2].strip()
            continue
        current.problems.append((n, f'cannot read `{line.strip()}` in a '
                                 'quiz — see AUTHORING.md, "Self-check '
                                 'questions"'))
    if current is not None:
        current.problems.append((current.line, 'quiz block has no closing '
                                 '``` fence'))
        questions.append(current)
    return questions


def validate(question):
    """[(line, message)]: everything incomplete in one question."""
    q = question
    found = list(q.problems)
    for lang, name in (('en', 'English'), ('ko', 'Korean')):
        if not q.fields.get(lang):
            found.append((q.line, f'quiz has no {name} question — add a '
                          f'`{lang}:` line'))
    if q.fields.get('ko') and not HANGUL.search(q.fields['ko']):
        found.append((q.line, 'quiz `ko:` question has no Korean text'))
    if len(q.options) < 2:
        found.append((q.line, 'quiz needs at least two options '
                      '(`- [x] …` and `- [ ] …`)'))
    if len(q.right) != 1:
        found.append((q.line, f'quiz has {len(q.right)} right answers — mark '
                      'exactly one option `- [x]`'))
    for o in q.options:
        for lang, name in (('en', 'English'), ('ko', 'Korean')):
            if not o.explain.get(lang):
                found.append((o.line, f'quiz option has no {name} '
                              f'explanation — add an indented `  {lang}:` '
                              'line under it'))
        if o.explain.get('ko') and not HANGUL.search(o.explain['ko']):
            found.append((o.line, 'quiz option\'s `ko:` explanation has no '
                          'Korean text'))
    if ('cell' in q.fields) != ('output' in q.fields):
        found.append((q.line, 'quiz names a `cell:` without an `output:` '
                      '(or the reverse) — give both, or neither'))
    return found


def problems(text, path):
    """[(line, message)] for every question of a chapter (for lint)."""
    return [p for q in parse(text, path) for p in validate(q)]


def output_text(cell):
    """What a code cell printed or returned, as one string."""
    parts = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream':
            parts.append(out.get('text', ''))
        elif 'text/plain' in out.get('data', {}):
            parts.append(out['data']['text/plain'])
        elif out.get('output_type') == 'error':
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return '\n'.join(p if isinstance(p, str) else ''.join(p) for p in parts)


def _plain(text):
    return text.replace('`', '')


def check_outputs(questions, notebook):
    """[(line, message)] for each question whose `output:` is not in the
    evaluated output of its `cell:`, or whose right option does not show it."""
    cells = {c.get('metadata', {}).get('attributes', {}).get('id'): c
             for c in notebook.get('cells', []) if c.get('cell_type') ==
             'code'}
    found = []
    for q in questions:
        name, want = q.fields.get('cell'), q.fields.get('output')
        if not name:
            continue
        if name not in cells:
            found.append((q.line, f'quiz names cell #{name}, which the '
                          'chapter does not have'))
            continue
        got = output_text(cells[name])
        if want not in got:
            found.append((q.line, f'quiz expects `{want}` in the output of '
                          f'#{name}, which printed {got.strip()[:120]!r} — '
                          'fix the answer'))
        right = q.right
        if right and not any(_plain(p) in want or want in _plain(p) for p in
                             right[0].text.split(' / ')):
            found.append((right[0].line, f'quiz\'s marked answer '
                          f'{right[0].text!r} does not match its `output:` '
                          f'{want!r} — mark the option that matches'))
    return found


# Under a project's _build/cache: the chapters whose questions passed.
RECORD = 'quiz-checked.json'


def check_book(chapters, eval_dir, record=None):
    """Raise BookError naming file:line for every quiz that is incomplete or
    disagrees with the evaluated notebooks under eval_dir/chapters. With a
    `record` file, a chapter whose source and evaluated notebook have the
    stat they had when it last passed (under this same file) is not read
    again; the record is rewritten with the chapters that pass."""
    import json
    import pathlib
    import sys
    from booktools.layout import read_record, stat_key, write_atomic
    from booktools.nbfast import nbformat
    from booktools import langs
    tool = [stat_key(pathlib.Path(m.__file__))
            for m in (sys.modules[__name__], langs)]
    known = {} if record is None else read_record(record, tool)
    passed, errors = {'': tool}, []
    for path in chapters:
        nb_path = eval_dir / 'chapters' / f'{path.stem}.ipynb'
        mark = [stat_key(path), nb_path.exists() and stat_key(nb_path)]
        if known.get(path.name) == mark:
            passed[path.name] = mark
            continue
        text = path.read_text(encoding='utf-8')
        questions = parse(text, path)
        found = [p for q in questions for p in validate(q)]
        if questions and nb_path.exists():
            found += check_outputs(questions, nbformat.read(nb_path, 4))
        errors += [f'chapters/{path.name}:{n}: {m}' for n, m in sorted(found)]
        if not found:
            passed[path.name] = mark
    if record is not None:
        write_atomic(record, json.dumps(passed))
    if errors:
        raise BookError('\n'.join(errors))


# --- rendering --------------------------------------------------------------

def _inline(text):
    """Escaped text with `code` spans."""
    parts = text.split('`')
    return ''.join(f'<code>{_html.escape(p)}</code>' if i % 2 else
                   _html.escape(p) for i, p in enumerate(parts))


def _both(text):
    """Option text: `English / 한국어` or one text for both languages."""
    if ' / ' in text and HANGUL.search(text):
        en, ko = text.split(' / ', 1)
        return (f'<span lang="en">{_inline(en)}</span><span class="lang-sep">'
                f' / </span><span lang="ko">{_inline(ko)}</span>')
    return _inline(text)


def html(question, number):
    """One question as HTML: a radio group; choosing an option shows its
    explanation in an aria-live region (static/book.js, "self-check
    questions")."""
    q = question
    qid = f'quiz-{number}'
    out = [f'<div class="quiz" id="{qid}" role="group" '
           f'aria-labelledby="{qid}-q">',
           f'<p class="quiz-question" id="{qid}-q">'
           f'<span class="quiz-label"><span lang="en">Check yourself</span>'
           f'<span class="lang-sep"> / </span><span lang="ko">스스로 확인'
           f'</span></span> '
           f'<span lang="en">{_inline(q.fields.get("en", ""))}</span> '
           f'<span lang="ko">{_inline(q.fields.get("ko", ""))}</span></p>',
           f'<div class="quiz-options" role="radiogroup" '
           f'aria-labelledby="{qid}-q">']
    for i, o in enumerate(q.options):
        out.append(f'<button type="button" class="quiz-option" role="radio" '
                   f'aria-checked="false" data-right="{str(o.right).lower()}"'
                   f' data-explain="{qid}-e{i}">{_both(o.text)}</button>')
    out.append('</div><div class="quiz-feedback" aria-live="polite">')
    for i, o in enumerate(q.options):
        verdict_en = 'Right.' if o.right else 'Not quite.'
        verdict_ko = '맞습니다.' if o.right else '아닙니다.'
        out.append(f'<div class="quiz-explain" id="{qid}-e{i}" hidden>'
                   f'<p lang="en"><strong>{verdict_en}</strong> '
                   f'{_inline(o.explain.get("en", ""))}</p>'
                   f'<p lang="ko"><strong>{verdict_ko}</strong> '
                   f'{_inline(o.explain.get("ko", ""))}</p></div>')
    out.append('</div></div>')
    return ''.join(out)


def setup(app):
    """Sphinx hook: quiz literal blocks become questions (HTML), and the
    build fails if a question is incomplete or disagrees with its output."""
    from docutils import nodes

    def check(app, env, docnames):
        from booktools.layout import Layout
        layout = Layout.of_sphinx(app)
        check_book(sorted((layout.root / 'chapters').glob('*.md')),
                   layout.eval, layout.cache / RECORD)

    def transform(app, doctree):
        blocks = [b for b in doctree.traverse(nodes.literal_block)
                  if b.get('language') == 'quiz']
        for n, block in enumerate(blocks, 1):
            q = parse('```quiz\n' + block.astext() + '\n```')[0]
            block.replace_self(nodes.raw('', html(q, n), format='html'))

    # As the build starts reading, not when Sphinx starts: the HTML build
    # makes its Sphinx while the evaluated notebooks are still being written
    # (booktools.render.prepare_html).
    app.connect('env-before-read-docs', check)
    app.connect('doctree-read', transform)


# --- notebooks and the PDF: plain Markdown ----------------------------------

BLOCK = re.compile(r'^```quiz[ \t]*\n(.*?)^```[ \t]*$', re.M | re.S)
WORDS = {'en': ('Check yourself', 'Answer', 'Right', 'Review questions',
                'Answers to the review questions', 'Question'),
         'ko': ('스스로 확인', '정답', '맞음', '복습 문제', '복습 문제의 정답',
                '문제')}


def _pick(text, lang):
    if ' / ' in text and HANGUL.search(text):
        en, ko = text.split(' / ', 1)
        return {'en': en, 'ko': ko}.get(lang, text)
    return text


def _langs(lang):
    return ('en', 'ko') if lang == 'both' else (lang,)


def _say(key, lang):
    i = ('label', 'answer', 'right', 'review', 'answers', 'question').index(
        key)
    return ' / '.join(WORDS[l][i] for l in _langs(lang))


def question_markdown(q, lang, number=None):
    head = (f'**{_say("question", lang)} {number}.**' if number else
            f'**{_say("label", lang)}:**')
    lines = [' '.join([head] + [q.fields.get(l, '') for l in _langs(lang)]),
             '']
    letters = 'abcdefgh'
    lines += [f'- **({letters[i]})** {_pick(o.text, lang)}'
              for i, o in enumerate(q.options)]
    return '\n'.join(lines)


def answer_markdown(q, lang, number=None):
    letters = 'abcdefgh'
    head = f'**{_say("answer", lang)}' + (f' {number}' if number else '') + \
        ':**'
    right = q.right[0] if q.right else None
    lines = [f'{head} ({letters[q.options.index(right)] if right else "?"}) '
             f'{_pick(right.text, lang) if right else ""}', '']
    for i, o in enumerate(q.options):
        mark = f' ({_say("right", lang)})' if o.right else ''
        text = ' '.join(o.explain.get(l, '') for l in _langs(lang))
        lines.append(f'- **({letters[i]})**{mark}: {text}')
    return '\n'.join(lines)


def _split(source):
    """[(markdown text, Question or None)] of one markdown cell."""
    parts, at = [], 0
    for m in BLOCK.finditer(source):
        parts.append((source[at:m.start()], None))
        parts.append(('', parse('```quiz\n' + m[1] + '```')[0]))
        at = m.end()
    parts.append((source[at:], None))
    return parts


def _markdown_cell(source):
    import nbformat
    return nbformat.v4.new_markdown_cell(source)


def _walk(cells):
    """The cells in order, each quiz cell split into its prose, as Markdown
    cells, and its questions: yields (cell, None) or (None, question)."""
    for cell in cells:
        if cell.cell_type != 'markdown' or not BLOCK.search(cell.source):
            yield cell, None
            continue
        for text, q in _split(cell.source):
            if q is not None:
                yield None, q
            elif text.strip():
                yield _markdown_cell(text.strip('\n')), None


def notebook_cells(cells, lang):
    """Notebook cells with each quiz as a Markdown question, followed by a
    Markdown cell holding its answer and explanations."""
    out = []
    for cell, q in _walk(cells):
        if q is None:
            out.append(cell)
        else:
            out.append(_markdown_cell(question_markdown(q, lang)))
            out.append(_markdown_cell(answer_markdown(q, lang)))
    return out


def review_cells(cells, lang):
    """PDF cells: numbered review questions where they stand, and their
    answers and explanations in one section at the end of the chapter."""
    out, answers = [], []
    for cell, q in _walk(cells):
        if q is None:
            out.append(cell)
            continue
        number = len(answers) + 1
        out.append(_markdown_cell(question_markdown(q, lang, number)))
        answers.append(answer_markdown(q, lang, number))
    if answers:
        out.append(_markdown_cell(f'## {_say("answers", lang)}\n\n' +
                                  '\n\n'.join(answers)))
    return out
