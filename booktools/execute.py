"""Evaluate the book's notebooks, with a cache keyed on what determines outputs.

d2lbook re-runs a notebook whenever its .md is newer than the evaluated
.ipynb, so a typo fix in prose costs a full kernel run. Here the outputs of a
notebook are cached under a key made of its code cells, the pinned
requirements, the Python version and this file; a prose edit re-renders from
the cache, a code edit re-runs that notebook only. The evaluated notebooks are
written where d2lbook expects them (`_build/eval/...`), newer than their
sources, so d2lbook's own eval step finds nothing to do and goes on to render.

Cells that demonstrate an error start with `#@expect_error Name`: the build
checks that exactly that exception is raised and shows it as the output.
"""
import json
import os
import pathlib
import re
import sys

from booktools import BookError, ROOT
from booktools.book import notebook_sources
from booktools.layout import BOOK, digest, stat_key, write_atomic
from booktools.lifetime import die_with_parent
from booktools.nbfast import nbformat, unchecked_cells

# Kernels' own home for matplotlib's font list and IPython's profile: kept
# with the environment (outlives `make clean`, so a cold build does not
# rebuild the font list), or under _build if the environment is read-only.
BUILD_CACHE_HOME = (pathlib.Path(sys.prefix) / 'var' / 'booktools-home'
                    if os.access(sys.prefix, os.W_OK)
                    else BOOK.cache / 'kernel-home')
EXPECT_RE = re.compile(r'^#@expect_error[ \t]+([A-Za-z_]\w*)[ \t]*$')
FENCE_RE = re.compile(r'^```\{\.python \.input')
# A whole code cell, fence to fence, in a source read as bytes.
CODE_RE = re.compile(FENCE_RE.pattern.encode() + rb'[^\n]*\n(.*?)^```',
                     re.M | re.S)
TIMEOUT = 20 * 60  # seconds per cell, d2lbook's limit per notebook


def code_cell_lines(md_text):
    """1-based line numbers of the code fences, in order."""
    return [i + 1 for i, line in enumerate(md_text.splitlines())
            if FENCE_RE.match(line)]


def read_source(path):
    """The notebook as d2lbook builds it from the .md, plus per-cell facts."""
    from d2lbook import library, notebook
    text = path.read_text(encoding='utf-8')
    with unchecked_cells():  # from strings (writes() checks the notebook)
        nb = notebook.read_markdown(text)
    nb = library.format_code_nb(nb)
    for i, cell in enumerate(nb.cells):
        cell['id'] = f'cell-{i}'  # nbformat's default ids are random
    lines = code_cell_lines(text)
    md_lines = text.splitlines()
    code = [c for c in nb.cells if c.cell_type == 'code']
    if len(code) != len(lines):
        raise BookError(f'{rel(path)}: found {len(lines)} code fences but '
                        f'{len(code)} code cells; check that every '
                        '```{.python .input} fence is closed')
    for cell, line in zip(code, lines):
        cell.metadata['source_line'] = line
        first, _, rest = cell.source.partition('\n')
        m = EXPECT_RE.match(first.strip())
        if m:
            cell.metadata['expect_error'] = m.group(1)
            cell.source = rest
            cell.metadata.setdefault('tags', []).append('raises-exception')
        elif '#@expect_error' in cell.source:
            raise BookError(f'{rel(path)}:{line}: `#@expect_error Name` must '
                            'be the first line of the cell, with one '
                            'exception class name')
        cell.metadata['source_lines'] = source_lines(cell.source, md_lines,
                                                     line)
    return nb, code


def source_lines(code, md_lines, fence):
    """For each line of a cell's code, its line in the Markdown source (or
    the fence's, for one not found there). The code is not quite the text
    between the fences: d2lbook strips the edges and sorts imports, and the
    `#@expect_error` line is gone; so each line is looked up, in order."""
    found, at = [], fence  # md_lines[at] is the line after the fence
    for text in code.split('\n'):
        for n in range(at, len(md_lines)):
            if md_lines[n].startswith('```'):
                found.append(fence)
                break
            if md_lines[n].rstrip() == text:
                found.append(n + 1)
                at = n + 1
                break
        else:
            found.append(fence)
    return found


def rel(path):
    """`path` relative to the book. A build asks this of each source
    several times: a plain path under the book is cut, without the two
    absolute paths os.path.relpath makes for each."""
    text, root = os.fspath(path), str(ROOT) + os.sep
    if text.startswith(root):
        rest = text[len(root):]
        if rest and not {'', '.', '..'} & set(rest.split(os.sep)):
            return rest
    return os.path.relpath(path, ROOT)


def environment_digest():
    """What changes every notebook's outputs: pins, Python, this program."""
    return digest(ROOT / 'requirements.txt', ROOT / 'constraints.txt',
                  sys.version, pathlib.Path(__file__))


def cache_key(code_cells, env_digest):
    return digest(env_digest, *(part for cell in code_cells for part in (
        cell.source, str(cell.metadata.get('expect_error')))))


def _payload_digest(outputs):
    return digest(json.dumps(outputs, sort_keys=True))


def cache_path(src):
    return BOOK.cache / (rel(src) + '.json')


def load_cache(src, key, n_cells):
    """Cached outputs for this key, or None. A damaged entry is never used."""
    path = cache_path(src)
    try:
        entry = json.loads(path.read_text(encoding='utf-8'))
        if entry['key'] != key:
            return None  # code or environment changed: an ordinary miss
        ok = (len(entry['outputs']) == n_cells and
              entry['digest'] == _payload_digest(entry['outputs']))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        print(f'[eval] {rel(src)}: cache entry is damaged, re-executing',
              flush=True)
        return None
    return entry['outputs']


def save_cache(src, key, outputs):
    write_atomic(cache_path(src), json.dumps(
        {'key': key, 'outputs': outputs, 'digest': _payload_digest(outputs)}))


def _sanitize(text, cwd):
    """Remove paths of the build machine from an output."""
    home = os.path.expanduser('~')
    for prefix, placeholder in ((str(cwd), '.'), (str(ROOT), '.'),
                                (sys.prefix, '<python>'), (home, '~')):
        if prefix.rstrip('/') == '':
            continue  # HOME=/ would turn every slash into `~`
        text = text.replace(prefix + os.sep, placeholder + '/')
        text = text.replace(prefix, placeholder)
    return text


def _clean_outputs(cell, cwd):
    outs = []
    for out in cell.outputs:
        out = dict(out)
        if out['output_type'] == 'stream':
            out['text'] = _sanitize(out['text'], cwd)
            # How printed text is cut into messages depends on timing; join
            # consecutive pieces of one stream so two runs store the same.
            if outs and outs[-1]['output_type'] == 'stream' and \
                    outs[-1]['name'] == out['name']:
                outs[-1]['text'] += out['text']
                continue
        elif 'data' in out:
            data = dict(out['data'])
            for mime in ('text/plain', 'text/html'):
                if mime in data:
                    data[mime] = _sanitize(data[mime], cwd)
            out['data'] = data
        outs.append(out)
    return outs


def kernel_env():
    """The environment kernels run with. Matplotlib and IPython keep caches
    in the home directory; a missing or read-only home makes them warn on
    stderr (with a /tmp path) in outputs."""
    state = BUILD_CACHE_HOME
    return {**os.environ, 'PYTHONHASHSEED': '0',
            'MPLCONFIGDIR': str(state / 'matplotlib'),
            'IPYTHONDIR': str(state / 'ipython')}


PROVISIONER = 'booktools-zygote'  # pyproject.toml registers it


def check_provisioner():
    """The zygote's kernels start through a provisioner that jupyter_client
    finds by its entry point: the `pip install -e .` of the Makefile."""
    from importlib.metadata import entry_points
    group = entry_points(group='jupyter_client.kernel_provisioners')
    if PROVISIONER not in group.names:
        raise BookError(f'pyproject.toml: the kernel provisioner '
                        f'{PROVISIONER!r} is not registered in this '
                        'environment — run `make html` (it installs '
                        'booktools into .venv/ with `pip install -e .`)')


class Zygote:
    """booktools/zygote.py: one process that has imported ipykernel and
    MXNet, from which each kernel is forked. Four notebooks then pay that
    second of imports once, not four times. `start()` (at most once, as
    early as a run is likely) returns the socket to ask it for a kernel; it
    stops at the end of the `with` block."""
    address = None

    def __enter__(self):
        return self

    def start(self):
        import socket
        import subprocess
        import tempfile
        if self.address:
            return self.address
        check_provisioner()
        self.folder = tempfile.mkdtemp(prefix='booktools-')
        self.address = os.path.join(self.folder, 'zygote')
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.address)
        listener.listen(64)
        self.process = subprocess.Popen(
            [sys.executable, str(pathlib.Path(__file__).with_name(
                'zygote.py')), str(listener.fileno())],
            pass_fds=[listener.fileno()],
            # ipykernel reads JPY_PARENT_PID when it is imported, here: as a
            # kernel started by a client, it prints no connection banner.
            env={**kernel_env(), 'JPY_PARENT_PID': str(os.getpid())},
            stdin=subprocess.PIPE,  # closed to stop it
            start_new_session=True)  # out of reach of the terminal's ^C
        listener.close()
        return self.address

    def __exit__(self, *exc):
        import shutil
        import subprocess
        if not self.address:
            return
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def run_notebook(src, nb, code_cells, cwd, zygote=None):
    """Execute in a new kernel (forked from `zygote`, when given); return
    each code cell's count and outputs."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name='python3',
                            record_timing=False,  # no timestamps in outputs
                            # MXNet's engine threads make a graceful stop slow.
                            shutdown_kernel='immediate',
                            resources={'metadata': {'path': str(cwd)}})
    km = client.create_kernel_manager()
    # Always this environment's Python, whatever kernels the user has.
    # Its log level hides ipykernel's notice about unencrypted local TCP.
    km.kernel_spec.argv = [sys.executable, '-m', 'ipykernel_launcher', '-f',
                           '{connection_file}', '--IPKernelApp.log_level=40']
    if zygote:  # booktools/provisioner.py, registered by pyproject.toml
        km.kernel_spec.metadata['kernel_provisioner'] = {
            'provisioner_name': PROVISIONER, 'config': {'address': zygote}}
    _run_cells(src, nb, client)
    return [{'execution_count': c.execution_count,
             'outputs': _clean_outputs(c, cwd)} for c in code_cells]


def _run_cells(src, nb, client):
    from nbclient.exceptions import (CellExecutionError, CellTimeoutError,
                                     DeadKernelError)
    with client.setup_kernel(env=kernel_env()):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != 'code':
                continue
            line = cell.metadata['source_line']
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                raise BookError(f'{rel(src)}:{line}: cell timed out after '
                                f'{TIMEOUT} s — make it faster')
            except DeadKernelError:
                raise BookError(f'{rel(src)}:{line}: the kernel died while '
                                'running this cell (a crash or exit in the '
                                'code, or out of memory) — fix the cell')
            except CellExecutionError as e:
                raise BookError(
                    f'{rel(src)}:{failing_line(nb, cell, e.traceback)}: '
                    f'cell raised {e.ename}: '
                    f'{_first_line(e.evalue)} — fix the code, or, if the '
                    'error is the lesson, start the cell with '
                    f'`#@expect_error {e.ename}`')
            _check_expected(src, nb, cell, line)


ANSI_RE = re.compile(r'\x1b\[[0-9;]*m')
FRAME_RE = re.compile(r'Cell In\[(\d+)\], line (\d+)')


def failing_line(nb, cell, traceback):
    """The Markdown line of the innermost frame the traceback names in one
    of this notebook's cells (IPython names them `Cell In[N], line M`; an
    earlier cell's, for a function defined there); the cell's fence if it
    names none."""
    if isinstance(traceback, list):
        traceback = '\n'.join(traceback)
    cells = {c.execution_count: c for c in nb.cells
             if c.cell_type == 'code' and c.execution_count is not None}
    found = cell.metadata['source_line']
    for count, line in FRAME_RE.findall(ANSI_RE.sub('', traceback or '')):
        owner = cells.get(int(count))
        lines = owner.metadata.get('source_lines', []) if owner else []
        if 1 <= int(line) <= len(lines):
            found = lines[int(line) - 1]
    return found


def _first_line(text):
    return _sanitize(str(text), ROOT).strip().splitlines()[0] if str(
        text).strip() else ''


def _check_expected(src, nb, cell, line):
    """An expected error must happen, and be the named one."""
    expected = cell.metadata.get('expect_error')
    errors = [o for o in cell.outputs if o['output_type'] == 'error']
    if not expected:
        return
    if not errors:
        raise BookError(f'{rel(src)}:{line}: cell was expected to raise '
                        f'{expected} but raised nothing — fix the example '
                        'or drop the #@expect_error line')
    err = errors[0]
    if err['ename'] != expected:
        where = failing_line(nb, cell, err.get('traceback'))
        raise BookError(f'{rel(src)}:{where}: cell raised {err["ename"]}: '
                        f'{_first_line(err["evalue"])}, not {expected} — '
                        'fix the code or the #@expect_error line')
    # Show what a reader needs, without a traceback full of local paths.
    message = err['evalue']
    if message.startswith(err['ename'] + ': '):  # MXNetError repeats its name
        message = message[len(err['ename']) + 2:]
    shown = f'{err["ename"]}: {message}'.rstrip() + '\n'
    cell.outputs = [o for o in cell.outputs if o is not err] + [
        nbformat.v4.new_output('stream', name='stderr', text=shown)]


def prepare(src, env_digest):
    """The notebook, its code cells, their cache key and cached outputs
    (None when the notebook must run)."""
    nb, code_cells = read_source(src)
    key = cache_key(code_cells, env_digest)
    outputs = load_cache(src, key, len(code_cells)) if code_cells else []
    return nb, code_cells, key, outputs


def run_and_write(src, nb, key, zygote):
    """Run a notebook `prepare` read in a new kernel, cache and write it
    (in a worker)."""
    code_cells = [c for c in nb.cells if c.cell_type == 'code']
    print(f'[eval] {rel(src)}: executing', flush=True)
    outputs = run_notebook(src, nb, code_cells, eval_dir(src), zygote)
    save_cache(src, key, outputs)
    write(src, nb, code_cells, outputs)


_EVAL_PATHS = {}  # {src: eval_path(src)}, this process's


def eval_path(src):
    """`_build/eval/<src>.ipynb`. Computed, not looked up: a build asks for
    it five times per source (a book of 160 notebooks paid a tenth of a
    second of every rebuild resolving it), and remembered for the life of
    the process (make serve forks one per build); `eval_dir` makes its
    folder."""
    key = os.fspath(src), BOOK.eval, ROOT
    found = _EVAL_PATHS.get(key)
    if found is None:
        found = _EVAL_PATHS[key] = BOOK.eval / pathlib.Path(
            rel(src)).with_suffix('.ipynb')
    return found


def eval_dir(src):
    """The folder of `eval_path(src)`, made if missing and resolved: a
    kernel runs there, and the scrubbing of its outputs looks for the
    folder as the kernel sees it (os.getcwd() resolves symbolic links)."""
    folder = eval_path(src).parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def write(src, nb, code_cells, outputs):
    """Write `_build/eval/<src>.ipynb`, touching it only if it changed."""
    for cell, result in zip(code_cells, outputs):
        cell.outputs = [nbformat.from_dict(o) for o in result['outputs']]
        cell.execution_count = result['execution_count']
        cell.metadata.pop('source_line', None)
        cell.metadata.pop('source_lines', None)
    nb.metadata['language_info'] = {'name': 'python'}
    nb.metadata['kernelspec'] = {'name': 'python3', 'language': 'python',
                                 'display_name': 'Python 3 (ipykernel)'}
    text = nbformat.writes(nb)
    tgt = eval_dir(src) / eval_path(src).name
    if not tgt.exists() or tgt.read_text(encoding='utf-8') != text:
        tgt.write_text(text, encoding='utf-8')
    else:
        keep_newer(tgt, src)


def keep_newer(tgt, src):
    """d2lbook re-evaluates a notebook older than its source: keep an
    unchanged one newer."""
    if tgt.stat().st_mtime <= src.stat().st_mtime:
        os.utime(tgt)


def prepare_eval_dir(sources):
    """Figures are in place before any cell runs (a cell may read them),
    and notebooks whose source is gone are removed."""
    import shutil
    shutil.copytree(ROOT / 'img', BOOK.eval / 'img', dirs_exist_ok=True)
    # Matplotlib builds its font list on first import and, if that is slow,
    # says so on stderr: do it here, not inside a notebook's output.
    mpl = BUILD_CACHE_HOME / 'matplotlib'
    if not list(mpl.glob('fontlist-*.json')):
        import subprocess
        mpl.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, '-c', 'import matplotlib.font_manager'],
                       env={**os.environ, 'MPLCONFIGDIR': str(mpl)},
                       check=True, capture_output=True)
    wanted = {eval_path(src) for src in sources}
    for path in BOOK.eval.rglob('*.ipynb'):
        if path not in wanted:  # both under BOOK.eval, as rglob gives them
            path.unlink()


MANIFEST = BOOK.eval / '.sources.json'


def fingerprint(src, source, env_digest):
    """Everything an evaluated notebook is made from: its source text, the
    environment and its cache entry (whose outputs it carries)."""
    return digest(env_digest, source, cache_path(src))


def code_digest(source, env_digest):
    """The code fences' text, read without d2lbook: if it and the
    environment are what the last build had, this notebook probably needs
    no kernel (the cache decides)."""
    return digest(env_digest, *CODE_RE.findall(source))


def manifest_entry(src, source, env_digest):
    """What `_build/eval/<src>.ipynb` is made from, what it holds, and the
    source's code. When all three are what the last build recorded, the
    source need not even be parsed: most of a prose edit's build is one
    notebook, not all of them."""
    return [fingerprint(src, source, env_digest),
            digest(eval_path(src)),
            code_digest(source, env_digest)]


def signature(src, env_digest, source_stat=None):
    """What the file system says of a source and of the two files made from
    it (cache entry, evaluated notebook), without reading them. When it is
    what the last build recorded, so is the manifest entry: an unchanged
    notebook costs three stat() calls, not three files hashed."""
    return [env_digest, source_stat or stat_key(src), stat_key(cache_path(src)),
            stat_key(eval_path(src))]


def main(argv=None):
    """Write every evaluated notebook: from the cache where it is valid,
    otherwise by running it, one process per core (each notebook has a kernel
    of its own anyway, and most of a run is spent waiting on it)."""
    env_digest = environment_digest()
    sources = notebook_sources()
    prepare_eval_dir(sources)
    try:
        manifest = json.loads(MANIFEST.read_text(encoding='utf-8'))
    except (FileNotFoundError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    MANIFEST.unlink(missing_ok=True)  # rewritten once every notebook is done
    recorded = {src: manifest.get(rel(src)) for src in sources}
    # Stat first, then read (once, before anything runs): a source saved
    # during the build has another stat next time, so it is read again.
    stats = {src: stat_key(src) for src in sources}
    signatures = {src: signature(src, env_digest, stats[src])
                  for src in sources}
    texts, entries = {}, {}
    for src in sources:
        old = recorded[src]
        if isinstance(old, list) and len(old) == 4 and old[3] == \
                signatures[src]:
            entries[src] = old  # nothing it is made from was touched
            continue
        texts[src] = src.read_bytes()
        entries[src] = manifest_entry(src, texts[src], env_digest) + [
            signatures[src]]
    stale = [src for src in sources if not isinstance(recorded[src], list)
             or recorded[src][:3] != entries[src][:3]]
    for src in sources:
        if src not in stale:
            keep_newer(eval_path(src), src)  # may touch it: stat it after
            entries[src] = entries[src][:3] + [
                signature(src, env_digest, stats[src])]
    with Zygote() as zygote:
        # Code that differs from the last build's: some kernel will likely
        # run, so the zygote imports while the sources are parsed.
        if any(not isinstance(recorded[src], list) or
               recorded[src][2:3] != entries[src][2:3] or
               not cache_path(src).exists() for src in stale):
            zygote.start()
        executed, no_code, problems = evaluate(stale, env_digest, zygote)
    if problems:
        raise BookError('\n'.join(problems))
    for src in stale:  # their evaluated notebook or cache entry changed
        entries[src] = manifest_entry(src, texts[src], env_digest) + [
            signature(src, env_digest, stats[src])]
    write_atomic(MANIFEST, json.dumps(
        {rel(src): entries[src] for src in sources}, indent=1,
        sort_keys=True))
    print(f'[eval] {len(sources)} notebooks: ' + ', '.join(
        f'{n} {what}' for n, what in (
            (len(executed), 'executed'),
            (len(stale) - len(executed) - len(no_code), 'from the output '
             'cache'),
            (len(no_code), 'without code'),
            (len(sources) - len(stale), 'unchanged since the last build'))
        if n or what == 'executed'), flush=True)


def evaluate(sources, env_digest, zygote):
    """Write each evaluated notebook, from the cache or by running it;
    return those that ran, those without code, and the problems found."""
    from concurrent.futures import ProcessPoolExecutor
    to_run, no_code = [], []
    for src in sources:
        nb, code_cells, key, outputs = prepare(src, env_digest)
        if not code_cells:
            no_code.append(src)
        if outputs is None:
            to_run.append((src, nb, key))
        else:
            write(src, nb, code_cells, outputs)
    problems = []
    if to_run:
        address = zygote.start()
        workers = max(1, min(len(to_run), os.cpu_count() or 1))
        with ProcessPoolExecutor(workers,
                                 initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(run_and_write, src, nb, key, address)
                       for src, nb, key in to_run]
            for (src, _, _), future in zip(to_run, futures):
                try:
                    future.result()
                except BookError as e:
                    problems.append(str(e))
                except Exception as e:  # a worker or kernel that failed
                    problems.append(f'{rel(src)}: could not be evaluated: '
                                    f'{type(e).__name__}: {e}')
    return [src for src, _, _ in to_run], no_code, problems


if __name__ == '__main__':
    from booktools import run_main
    run_main(main)
