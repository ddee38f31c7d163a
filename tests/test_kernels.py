"""Kernels forked from the zygote behave like fresh ones and none outlives
the build."""
import os

from conftest import (ROOT, book_env, build, processes_left,
                      processes_running)

from booktools import execute, provisioner


def run(chapter, cwd, zygote=None):
    """The chapter's cells run in a kernel whose working folder is `cwd`
    (not the book's _build/eval: a cell may write where it runs)."""
    src = ROOT / 'chapters' / f'{chapter}.md'
    nb, code_cells = execute.read_source(src)
    return execute.run_notebook(src, nb, code_cells, cwd, zygote)


def test_forked_kernel_gives_the_outputs_of_a_fresh_kernel(tmp_path):
    """Byte for byte, including the matplotlib figure and Gluon's names
    (`sequential0_`), which would drift if the zygote ran any cell."""
    chapters = ['conv_shapes', 'deferred_init']
    fresh = {c: run(c, tmp_path) for c in chapters}
    with execute.Zygote() as zygote:
        forked = {c: run(c, tmp_path, zygote.start()) for c in chapters}
    assert forked == fresh
    assert any('image/png' in out.get('data', {})
               for cell in fresh['conv_shapes'] for out in cell['outputs'])


def test_no_zygote_or_kernel_outlives_the_build(book):
    path = book / 'chapters' / 'init_errors.md'
    path.write_text(path.read_text().replace(
        '```{.python .input}\n', '```{.python .input}\nedited = 2\n', 1))
    result = build(book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '[eval] chapters/init_errors.md: executing' in result.stdout
    assert processes_running(book) == []


def test_killed_build_leaves_no_process_behind(book):
    """`kill -9` on the build while kernels run: its workers, the zygote and
    the kernels all go within seconds."""
    import signal
    import subprocess
    import sys
    import time
    for name in ('init_errors', 'deferred_init'):  # two kernels, kept busy
        path = book / 'chapters' / f'{name}.md'
        path.write_text(path.read_text().replace(
            '```{.python .input}\n',
            '```{.python .input}\nimport time\ntime.sleep(30)\n', 1))
    proc = subprocess.Popen([sys.executable, '-m', 'booktools.build', 'html'],
                            cwd=book, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if 'executing' in line:
            break
    # Until the kernels sleep in their first cell: build, workers, kernels.
    deadline = time.monotonic() + 60
    while len(processes_running(book)) < 4:
        assert time.monotonic() < deadline, processes_running(book)
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert processes_left(book) == []


def test_build_killed_during_sphinx_leaves_no_renderer(book):
    """Sphinx runs in a second process; `kill -9` on the build while Sphinx
    works (here: sleeps) must end it too, not leave it writing the pages."""
    import subprocess
    import sys
    script = ('import time\nfrom booktools import build, render\n'
              'def slow(*_):\n    print("sphinx started", flush=True)\n'
              '    time.sleep(60)\n'
              'render.sphinx = slow\nbuild.html()\n')
    proc = subprocess.Popen([sys.executable, '-c', script], cwd=book,
                            stdout=subprocess.PIPE, text=True,
                            env=book_env(book))
    for line in proc.stdout:
        if line.startswith('sphinx started'):
            break
    else:
        raise AssertionError(f'the build ended: {proc.wait()}')
    proc.kill()
    proc.wait()
    assert processes_left(book) == []


def test_zygote_stops_kernels_left_running(tmp_path):
    """A kernel whose client never stopped it goes with the zygote."""
    import json
    import signal
    import socket
    with execute.Zygote() as zygote:
        address = zygote.start()
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(address)
            conn.sendall(json.dumps({
                'argv': ['ipykernel_launcher', '-f', str(tmp_path / 'k.json')],
                'cwd': str(ROOT), 'env': dict(os.environ)}).encode() + b'\n')
            pid = int(conn.makefile().readline())
        os.kill(pid, signal.SIGSTOP)  # a kernel stuck for good
        assert provisioner.ForkedKernel(pid).poll() is None
    kernel = provisioner.ForkedKernel(pid)
    assert kernel.wait(10) is not None


def test_the_zygote_forks_the_kernels_through_the_registered_provisioner(
        tmp_path):
    """The kernel's parent is the zygote, and jupyter_client found the
    provisioner by its entry point (pyproject.toml, `pip install -e .`)."""
    from importlib.metadata import entry_points
    group = entry_points(group='jupyter_client.kernel_provisioners')
    assert group[execute.PROVISIONER].value == \
        'booktools.provisioner:ZygoteProvisioner'
    src = tmp_path / 'parent.md'
    src.write_text('# Parent\n\n```{.python .input}\nimport os\n'
                   'print(os.getppid())\n```\n')
    nb, code_cells = execute.read_source(src)
    with execute.Zygote() as zygote:
        address = zygote.start()
        cells = execute.run_notebook(src, nb, code_cells, tmp_path, address)
        parent = int(cells[0]['outputs'][0]['text'])
        assert parent == zygote.process.pid
