"""The Korean text as a reader meets it: particles that agree with the
generated text before them on the rendered page, one register (합니다체), and
expectations that are not turned into obligations."""
import re

import pytest
from bs4 import BeautifulSoup

from booktools import langs
from booktools.langs import HANGUL
from conftest import HTML, ROOT

# A particle whose form depends on whether the word before it ends in a
# consonant (받침): (after a consonant, after a vowel).
PAIRS = [('으로', '로'), ('은', '는'), ('이', '가'), ('을', '를'), ('과', '와'),
         ('이나', '나'), ('이라', '라')]
# How the last digit of a number is read: 일, 이, 삼, ... (영 for 0).
DIGIT_CODA = {'0': 'ㅇ', '1': 'ㄹ', '2': '', '3': 'ㅁ', '4': '', '5': '',
              '6': 'ㄱ', '7': 'ㄹ', '8': 'ㄹ', '9': ''}
CODAS = ['', 'ㄱ', 'ㄲ', 'ㄳ', 'ㄴ', 'ㄵ', 'ㄶ', 'ㄷ', 'ㄹ', 'ㄺ', 'ㄻ', 'ㄼ',
         'ㄽ', 'ㄾ', 'ㄿ', 'ㅀ', 'ㅁ', 'ㅂ', 'ㅄ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅊ',
         'ㅋ', 'ㅌ', 'ㅍ', 'ㅎ']


def coda(word):
    """The final consonant of `word` as read aloud ('' for a vowel)."""
    word = word.rstrip()
    m = re.search(r'(\d+)$', word)
    if m:
        n = int(m[1])
        if n % 10 or n == 0:
            return DIGIT_CODA[m[1][-1]]
        # 10 십, 100 백, 1000 천: the reading of the power of ten
        return 'ㅂ' if n % 100 else 'ㄱ' if n % 1000 else 'ㄴ'
    last = word[-1]
    if '\uac00' <= last <= '\ud7a3':
        return CODAS[(ord(last) - 0xac00) % 28]
    raise ValueError(f'cannot read the end of {word!r}')


def particle_problem(word, after):
    """Why the particle at the start of `after` does not fit `word`, or
    None if it fits (or `after` starts with no variable particle)."""
    for with_coda, without in PAIRS:
        for form in (with_coda, without):
            # the particle must end the word: '는 ', '를.', not '로서'
            if not re.match(re.escape(form) + r'(?![\uac00-\ud7a3])', after):
                continue
            final = coda(word)
            if with_coda == '으로':  # ㄹ takes 로, like a vowel
                right = without if final in ('', 'ㄹ') else with_coda
            else:
                right = with_coda if final else without
            if form != right:
                return f'"{word}{form}" should be "{word}{right}"'
            return None
    return None


@pytest.mark.parametrize('word, after, problem', [
    ('그림 1.1.1', '는 네 단계를', '"그림 1.1.1는" should be "그림 1.1.1은"'),
    ('그림 1.1.1', '은 네 단계를', None),
    ('4장', '를 참고하세요', '"4장를" should be "4장을"'),
    ('4장', '을 참고하세요', None),
    ('1장', '과 3장', None),
    ('4.1.2절', '로 갑니다', None),          # ㄹ takes 로
    ('4.1.2절', '으로 갑니다', '"4.1.2절으로" should be "4.1.2절로"'),
    ('3장', '으로 갑니다', None),
    ('그림 2', '는 막대그래프', None),
    ('그림 2', '은 막대그래프', '"그림 2은" should be "그림 2는"'),
    ('그림 10', '은', None),                  # 십
    ('4장', '에서 살펴봅니다', None),          # 에 never varies
    ('4장', '이다', None),                    # not a particle here
])
def test_particle_rule(word, after, problem):
    assert particle_problem(word, after) == problem


def rendered_korean_references():
    """(page, generated text, text after it) for every cross-reference in a
    Korean block of a built page."""
    for page in sorted(HTML.rglob('*.html')):
        soup = BeautifulSoup(page.read_text('utf-8'), 'html.parser')
        for ref in soup.select('[lang=ko] span.std-numref'):
            link = ref.find_parent('a') or ref
            after = link.next_sibling
            yield (page.relative_to(HTML).as_posix(), ref.get_text(),
                   after if isinstance(after, str) else '')


def test_particles_after_generated_references_agree():
    refs = list(rendered_korean_references())
    assert len(refs) > 20  # the chapters cross-reference from Korean text
    problems = [f'{page}: {problem}' for page, word, after in refs
                if (problem := particle_problem(word, after))]
    assert not problems, '\n'.join(problems)


def korean_sentences():
    """(file, sentence) for every sentence of every Korean block."""
    for path in [ROOT / 'index.md', *sorted((ROOT / 'chapters').glob('*.md'))]:
        text = langs.select(path.read_text('utf-8'), 'ko')
        text = re.sub(r'```.*?```', '', text, flags=re.S)  # shared code
        for sentence in re.findall(r'[^.?!]*[.?!]', text.replace('\n', ' ')):
            if HANGUL.search(sentence):
                yield path.name, sentence.strip()


def test_korean_is_written_in_one_register():
    """합니다체 throughout: no 해요체 statement ('…없으니까요.'). Questions
    ending in -까요? and requests ending in -세요 are the usual forms of a
    합니다체 textbook and stay."""
    found = [f'{name}: {s}' for name, s in korean_sentences()
             if re.search(r'[\uac00-\ud7a3]요[.!]$', s) and
             not s.endswith(('세요.', '세요!'))]
    assert not found, '\n'.join(found)


@pytest.mark.parametrize('obligation', ['호출해야 합니다',
                                        '출력되지 않아야 합니다',
                                        '있어야 하므로'])
def test_expectations_are_not_obligations(obligation):
    """Where the English says what we expect to see ('should print
    nothing'), the Korean says 것입니다, not 해야 합니다."""
    found = [f'{name}: {s}' for name, s in korean_sentences()
             if obligation in s]
    assert not found, '\n'.join(found)


def test_one_word_for_a_lesson():
    """TERMINOLOGY.md: a lesson is a 장, which is also what the generated
    cross-references say (N장)."""
    assert re.search(r'^\| lesson \| 장 \| 강의', (ROOT / 'TERMINOLOGY.md')
                     .read_text('utf-8'), re.M)
    found = [f'{name}: {s}' for name, s in korean_sentences() if '강의' in s]
    assert not found, '\n'.join(found)
