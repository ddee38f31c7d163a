"""Helper processes that do not outlive the process that started them."""
import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent):
    """In a helper forked by process `parent` (pool worker, renderer, build,
    web server): when that process dies, even by SIGKILL, die too (Linux)
    rather than work on for nobody. The zygote stops when its stdin closes,
    and its kernels with it."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)
