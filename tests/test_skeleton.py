"""Every lesson follows the same skeleton (STYLE.md): a bilingual title with
a label, a puzzle to start, body sections, then Summary and Exercises."""
import re

import pytest

from conftest import CHAPTERS, ROOT


@pytest.mark.parametrize('chapter', CHAPTERS)
def test_chapter_skeleton(chapter):
    lines = (ROOT / 'chapters' / f'{chapter}.md').read_text().splitlines()
    assert re.fullmatch(r'# \S.* / .*[\uac00-\ud7a3].*', lines[0]), lines[0]
    assert re.fullmatch(r':label:`sec_\w+`', lines[1]), lines[1]
    assert lines[3] == '::: en'  # the opening puzzle, before any section
    sections = [l for l in lines if l.startswith('## ')]
    assert len(sections) >= 3, sections
    if chapter == 'exercise_solutions':  # answers every exercise, sets none
        assert sections[-1] == '## Summary / 요약'
        assert '## Exercises / 연습 문제' not in sections
    else:
        assert sections[-2:] == ['## Summary / 요약',
                                 '## Exercises / 연습 문제']
