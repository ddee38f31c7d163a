"""`make mutants`' list stays applicable: each breakage's snippet is in its
file exactly once, and the tests it runs first exist (a stale entry would
stop `make mutants` before any mutant runs)."""
import pytest

from booktools import BookError, mutants
from conftest import ROOT


@pytest.mark.parametrize('entry', mutants.MUTANTS, ids=lambda m: m[0])
def test_each_breakage_applies_once_and_names_existing_tests(entry):
    name, file, old, new, first = entry
    text = (ROOT / file).read_text(encoding='utf-8')
    mutants.once(text, file, old)  # raises unless exactly once
    assert old != new
    assert first and all((ROOT / f).is_file() for f in first), first


def test_a_snippet_that_moved_is_reported_with_its_entry():
    with pytest.raises(BookError, match=r'booktools/site.py holds the '
                       r"snippet 'gone\(\)' 0 times, not once"):
        mutants.once('nothing here', 'booktools/site.py', 'gone()')


def test_names_are_unique():
    names = [m[0] for m in mutants.MUTANTS]
    assert len(names) == len(set(names))
