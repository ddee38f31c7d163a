"""In-process unit tests of booktools.config: config.ini checked against
d2lbook's own keys, on small made-up files in tmp_path."""
import pytest

from booktools import BookError, config

GOOD = """\
# comment
; another comment
[project]
name = book
title: Book / 책

[build]
warning_is_error = no
sphinx_configs = language = 'en'
    numfig = True

[library-mxnet]
anything = goes
"""


def write(tmp_path, text):
    path = tmp_path / 'config.ini'
    path.write_text(text, encoding='utf-8')
    return path


def test_a_config_of_known_keys_passes(tmp_path):
    config.check(write(tmp_path, GOOD))  # raises nothing


def test_every_problem_is_named_by_line_with_a_suggestion(tmp_path):
    path = write(tmp_path, '\n'.join([
        '[project]',                   # 1
        'titel = Book',                # 2 misspelt
        '[build]',                     # 3
        'warning_is_error = maybe',    # 4 not a boolean
        'Warning_Is_Error = TRUE',     # 5 fine: keys and values any case
        '[htlm]',                      # 6 misspelt section
        'foo = 1',                     # 7 not checked: section unknown
        '[pdf]',                       # 8
        'qqqqqqqq = 1',                # 9 nothing close to it
    ]))
    with pytest.raises(BookError) as e:
        config.check(path)
    assert str(e.value).split('\n') == [
        "config.ini:2: unknown key 'titel' in [project] — did you mean "
        "'title'?",
        "config.ini:4: warning_is_error = 'maybe' is not a yes/no value — "
        'write True or False',
        'config.ini:6: unknown section [htlm] — did you mean [html]?',
        "config.ini:9: unknown key 'qqqqqqqq' in [pdf] — d2lbook would "
        'ignore it',
    ]


def test_an_unknown_section_far_from_any_is_said_to_be_ignored(tmp_path):
    with pytest.raises(BookError, match=r'^config.ini:1: unknown section '
                       r'\[zzzzzzzz\] — d2lbook would ignore it$'):
        config.check(write(tmp_path, '[zzzzzzzz]\n'))


@pytest.mark.parametrize('value, strict', [
    ('True', True), ('no', False), ('off', False), ('1', True)])
def test_warning_is_error_reads_a_yes_no_value(tmp_path, value, strict):
    path = write(tmp_path, f'[build]\nwarning_is_error = {value}\n')
    assert config.warning_is_error(path) is strict


def test_warning_is_error_defaults_to_true(tmp_path):
    assert config.warning_is_error(write(tmp_path, '[project]\n')) is True
    assert config.warning_is_error(tmp_path / 'missing.ini') is True
