"""Check config.ini against d2lbook's own keys.

d2lbook reads config.ini without validating it, so a misspelt key is
silently ignored and the book builds with the default. Here it is an error.
"""
import configparser
import difflib
import pathlib
import re

from booktools import BookError, ROOT


def known_keys():
    import d2lbook
    defaults = configparser.ConfigParser()
    defaults.read(pathlib.Path(d2lbook.__file__).parent / 'config_default.ini',
                  encoding='utf-8')
    return {s: set(defaults[s]) for s in defaults.sections()}


# Keys the book reads as booleans itself (d2lbook would take any text).
BOOLEAN = {'build': {'warning_is_error'}}


def warning_is_error(path=ROOT / 'config.ini'):
    """[build] warning_is_error: whether a Sphinx warning fails the HTML
    build (True, this book's default; d2lbook's own is False) or is printed
    and the build goes on.
    The PDFs always fail on one: a LaTeX run would bury it."""
    parser = configparser.ConfigParser()
    parser.read(path, encoding='utf-8')
    return parser.getboolean('build', 'warning_is_error', fallback=True)


def check(path=ROOT / 'config.ini'):
    known = known_keys()
    section = None
    problems = []
    for n, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in '#;' or line[0].isspace():
            continue  # comments and continuation lines
        m = re.match(r'\[(.+)\]$', stripped)
        if m:
            section = m.group(1)
            if section not in known and not section.startswith('library-'):
                hint = difflib.get_close_matches(section, known, 1)
                problems.append(f'{path.name}:{n}: unknown section [{section}]'
                                + (f" — did you mean [{hint[0]}]?" if hint
                                   else ' — d2lbook would ignore it'))
            continue
        key, _, value = [part.strip() for part in
                         re.split(r'([=:])', stripped, 1) + ['', '']][:3]
        key = key.lower()
        if key in BOOLEAN.get(section, ()) and \
                value.lower() not in configparser.ConfigParser.BOOLEAN_STATES:
            problems.append(f'{path.name}:{n}: {key} = {value!r} is not a '
                            'yes/no value — write True or False')
        if section in known and key not in known[section]:
            hint = difflib.get_close_matches(key, known[section], 1)
            problems.append(f'{path.name}:{n}: unknown key {key!r} in '
                            f'[{section}]' + (f" — did you mean {hint[0]!r}?"
                                              if hint else
                                              ' — d2lbook would ignore it'))
    if problems:
        raise BookError('\n'.join(problems))
