"""The build's kernel provisioner: kernels forked from the zygote
(booktools/zygote.py, started by booktools.execute.Zygote).

jupyter_client finds a provisioner only by its entry point, in the group
`jupyter_client.kernel_provisioners`: pyproject.toml declares it, and the
Makefile installs booktools into .venv/ (`pip install -e .`) so that the
entry point exists. booktools.execute names it in the kernel spec of each
notebook it runs with the zygote; every other kernel (`make lab`, tests)
uses jupyter_client's LocalProvisioner as before.
"""
import json
import os
import pathlib
import socket

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode


class ForkedKernel:
    """What jupyter_client expects of a kernel's Popen, for a kernel the
    zygote forked (so not a child of this process): a pidfd tells when it
    ends and signals it without any risk of a reused pid."""
    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None
        try:
            self.fd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            self.fd, self.returncode = None, -1

    def poll(self):
        import select
        if self.returncode is None and select.select([self.fd], [], [], 0)[0]:
            self.returncode = -1  # only its parent, the zygote, knows the code
            os.close(self.fd)
            self.fd = None
        return self.returncode

    def wait(self, timeout=None):
        import select
        if self.returncode is None:
            select.select([self.fd], [], [], timeout)
        return self.poll()

    def send_signal(self, signum):
        import signal
        if self.poll() is None:
            signal.pidfd_send_signal(self.fd, signum)

    def kill(self):
        import signal
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        import signal
        self.send_signal(signal.SIGTERM)


def fork_kernel(address, cmd, env=None, cwd=None, **_):
    """What jupyter_client's launch_kernel does, by the zygote: the same
    command line, folder and environment, in a fork of it."""
    # cmd is [python, -m, ipykernel_launcher, ...]: keep what follows -m
    argv = cmd[cmd.index('-m') + 1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(address)
        conn.sendall(json.dumps({'argv': argv, 'cwd': str(cwd),
                                 'env': dict(env)}).encode() + b'\n')
        with conn.makefile('rb') as stream:
            reply = stream.readline()
    if not reply:
        raise RuntimeError('the kernel zygote stopped')
    return ForkedKernel(int(reply))


class ZygoteProvisioner(LocalProvisioner):
    """LocalProvisioner, but the kernel is forked by the zygote listening at
    `address` (given in the kernel spec's provisioner config)."""
    address = Unicode(config=True, help='the zygote\'s Unix socket')

    async def launch_kernel(self, cmd, **kwargs):
        self.process = fork_kernel(self.address, cmd,
                                   **self._scrub_kwargs(kwargs))
        self.pid = self.process.pid
        self.pgid = self.pid  # the fork made itself a session leader
        self.cwd = kwargs.get('cwd', pathlib.Path.cwd())
        return self.connection_info
