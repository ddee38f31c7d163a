"""The tooling's structure: layered modules, one owner of `_build/`, one way
to hash. In-process and fast: nothing here builds the book."""
import ast
import pathlib
import subprocess
import sys

import pytest

from booktools import layout
from booktools.layout import Layout, Stamp, digest, fresh_folder

PACKAGE = pathlib.Path(layout.__file__).resolve().parent
MODULES = sorted(PACKAGE.glob('*.py'))


def imports(path):
    """The booktools modules `path` imports, at the top or in a function
    (a function-level import is still a dependency)."""
    names = {p.stem for p in MODULES}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split('.')
            if parts[0] != 'booktools':
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from booktools import build, ROOT
                found |= {a.name for a in node.names if a.name in names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split('.')[1] for a in node.names
                      if a.name.startswith('booktools.')}
    return found - {path.stem}


def cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = 'open'
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 'open':
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_the_import_graph_of_booktools_is_acyclic():
    graph = {p.stem: imports(p) for p in MODULES}
    assert graph['build'], 'the scan found no imports at all'
    assert cycle(graph) is None, ' → '.join(cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert cycle({'a': {'b'}, 'b': set()}) is None


def test_only_layout_names_build_folders():
    """No module but layout spells a path under `_build/` in code (prose in
    docstrings and messages may mention them)."""
    offenders = []
    for path in MODULES:
        if path.stem == 'layout':
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.split('/')[0] == '_build'):
                offenders.append(f'{path.name}:{node.lineno}: {node.value!r}')
    assert offenders == []


def test_only_layout_hashes():
    users = [p.name for p in MODULES if p.stem != 'layout' and 'hashlib' in
             {alias.name for node in ast.walk(ast.parse(p.read_text()))
              if isinstance(node, (ast.Import, ast.ImportFrom))
              for alias in node.names} | {
                  node.module for node in ast.walk(ast.parse(p.read_text()))
                  if isinstance(node, ast.ImportFrom)}]
    assert users == []


def test_the_package_init_holds_only_the_core_and_imports_nothing_else():
    init = PACKAGE / '__init__.py'
    tree = ast.parse(init.read_text(encoding='utf-8'))
    defined = {n.name for n in tree.body
               if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}
    assert defined == {'ROOT', 'BookError', 'run_main'}
    # Importing the package changes nothing else in the interpreter.
    probe = ('import sys; before = set(sys.modules); import booktools; '
             'print(sorted(set(sys.modules) - before - {"booktools"}))')
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True,
                         text=True, check=True, cwd=PACKAGE.parent).stdout
    assert 'rfc3987_syntax' not in out
    assert not [m for m in eval(out) if m.startswith('booktools.')]


def test_nbfast_blocks_the_unused_grammar_and_gives_nbformat():
    probe = ('import sys; from booktools.nbfast import nbformat; '
             'print(sys.modules["rfc3987_syntax"], nbformat.__name__)')
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True,
                         text=True, check=True, cwd=PACKAGE.parent).stdout
    assert out.split() == ['None', 'nbformat']


# --- the layout ------------------------------------------------------------

def project(folder, build_section=''):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'index.md').write_text('# Index\n', encoding='utf-8')
    (folder / 'config.ini').write_text(
        '[project]\nname = x\n\n[build]\n' + build_section, encoding='utf-8')
    return folder


def test_layout_of_the_book_is_under_its_build_folder():
    book = layout.BOOK
    assert book.build == book.root / '_build'
    for folder in (book.eval, book.rst, book.html, book.pdf, book.cache,
                   book.lang, book.notebooks, book.lock, book.start,
                   book.timings, book.serve_failed, book.sources_list):
        assert book.build in folder.parents, folder
    assert book.done.parent == book.html
    assert book.notebooks_in_html.parent == book.html
    assert book.doctrees('html') == book.build / 'doctrees' / 'html'


def test_layout_follows_d2lbooks_output_dir(tmp_path):
    """`[build] output_dir` moves d2lbook's folders and the book's own."""
    proj = project(tmp_path / 'p', 'output_dir = out\n')
    here = Layout(proj)
    assert here.build == proj / 'out'
    assert (here.eval, here.rst, here.html, here.pdf) == (
        proj / 'out' / 'eval', proj / 'out' / 'rst', proj / 'out' / 'html',
        proj / 'out' / 'pdf')
    assert here.cache == proj / 'out' / 'cache'
    assert here.done == proj / 'out' / 'html' / '.done'


def test_layout_follows_d2lbooks_html_dir(tmp_path):
    proj = project(tmp_path / 'p', 'html_dir = site\n')
    assert Layout(proj).html == proj / 'site'
    assert Layout(proj).eval == proj / '_build' / 'eval'


def test_layout_of_a_folder_that_is_no_project_is_the_default(tmp_path):
    assert Layout(tmp_path).html == tmp_path / '_build' / 'html'


# --- digests, stamps, entries ----------------------------------------------

def test_digest_separates_its_parts_and_reads_paths(tmp_path):
    assert digest('ab', 'c') != digest('a', 'bc')
    assert digest('a') == digest(b'a')
    assert digest('a') != digest('a', '')
    f = tmp_path / 'f'
    f.write_bytes(b'text')
    assert digest(f) == digest(b'text')
    assert digest(tmp_path / 'missing') == digest(b'')
    assert digest(('x', 1)) == digest(repr(('x', 1)))
    assert len(digest()) == 64


def test_stamp_holds_what_was_written(tmp_path):
    stamp = Stamp(tmp_path / 'sub' / 'stamp')
    assert not stamp.holds('a')
    stamp.write('a')
    assert stamp.holds('a') and not stamp.holds('b')
    stamp.remove()
    assert not stamp.holds('a')


def test_fresh_folder_empties_only_when_the_digest_changes(tmp_path):
    out, other = tmp_path / 'rst', tmp_path / 'pdf'
    fresh_folder(out, 'v1')
    (out / 'page.rst').write_text('kept')
    other.mkdir()
    (other / 'x.pdf').write_text('old')
    fresh_folder(out, 'v1', other)
    assert (out / 'page.rst').exists() and (other / 'x.pdf').exists()
    fresh_folder(out, 'v2', other)
    assert not (out / 'page.rst').exists() and not other.exists()
    assert Stamp(out / '.booktools-digest').holds('v2')


def test_a_damaged_cache_entry_reads_as_missing(tmp_path):
    entry = tmp_path / 'e'
    assert layout.read_entry(entry) is None
    layout.write_entry(entry, 'hello\nworld')
    assert layout.read_entry(entry) == 'hello\nworld'
    entry.write_text(entry.read_text().replace('world', 'World'))
    assert layout.read_entry(entry) is None
    entry.write_bytes(b'\xff\xfe')
    assert layout.read_entry(entry) is None
    assert list(tmp_path.glob('*.tmp')) == []


def test_the_build_lock_is_exclusive(tmp_path):
    import fcntl
    here = Layout(project(tmp_path / 'p'))
    held = layout.one_build_at_a_time(here)
    other = open(here.lock, 'w')
    with pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    held.close()
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    other.close()
