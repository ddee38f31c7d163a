"""A warm start for kernels: import ipykernel and MXNet once, then fork one
kernel per notebook from this process.

Started by booktools.execute as `python zygote.py FD`, with the environment
kernels get (PYTHONHASHSEED is fixed at start-up, so it must be set here);
it stops when its stdin closes.
FD is a listening Unix socket. Each connection sends one JSON request,
{"argv": [...], "cwd": "...", "env": {...}}, and reads back the pid of a
kernel started with that command line, folder and environment.

Nothing from booktools is imported: every module loaded here is inherited by
every kernel, and a kernel should hold only what a fresh one would.
"""
import json
import os
import signal
import socket
import sys


def become_kernel(request, ready):
    """In the forked child: take the request's folder, environment and
    command line, and run ipykernel as `python -m ipykernel_launcher` would."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel's own children
    # Its own session and process group, which jupyter_client signals as a
    # whole; only then may the client learn the pid.
    os.setsid()
    os.write(ready, b'.')
    os.close(ready)
    devnull = os.open(os.devnull, os.O_RDONLY)  # not the zygote's stdin
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    sys.argv = request['argv']
    sys.path[0] = os.getcwd()  # as `python -m` puts it, not this folder
    from ipykernel import kernelapp
    status = 1
    try:
        kernelapp.launch_new_instance()
        status = 0
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)  # never return into the loop below


def main():
    """Serve until stdin closes: the build closes it when done, and the
    system closes it if the build dies."""
    import select
    listener = socket.socket(fileno=int(sys.argv[1]))
    import ipykernel.kernelapp  # noqa: F401  what every kernel starts with
    import ipykernel.ipkernel  # noqa: F401  and loads as it starts
    import mxnet  # noqa: F401  about a second that every notebook begins with
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the system reaps kernels
    kernels = []
    try:
        while True:
            readable, _, _ = select.select([listener, sys.stdin], [], [])
            if sys.stdin in readable:
                return
            conn, _ = listener.accept()
            with conn:
                with conn.makefile('rb') as stream:
                    line = stream.readline()
                try:  # one line of JSON
                    request = json.loads(line)
                except ValueError:  # nothing, or not JSON
                    continue
                wait, ready = os.pipe()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    conn.close()
                    os.close(wait)
                    become_kernel(request, ready)
                os.close(ready)
                os.read(wait, 1)  # the kernel has left this process group
                os.close(wait)
                kernels.append(pid)
                conn.sendall(f'{pid}\n'.encode())
    finally:
        for pid in kernels:  # a kernel its client did not stop
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
    # Skip the interpreter's clean-up: MXNet's takes a third of a second,
    # and nothing here needs it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
