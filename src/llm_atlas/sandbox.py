"""Start a program fenced in by the kernel: no outgoing TCP connection, no file written, bounded memory.

``llm-atlas serve`` runs its query engine (``oxigraph serve``) through this module, so that should the SPARQL
guard ever let a ``SERVICE`` through, the engine still cannot call anyone::

    python .../llm_atlas/sandbox.py --bind-port 41234 --memory 4294967296 -- /path/to/oxigraph serve ...

(run as a script: it needs only the standard library, so it starts without importing the package)
applies the restrictions to itself and then becomes the program (``execv``), which inherits them:

* **Landlock** (Linux 6.7 and later, ABI 4): TCP ``connect`` is denied everywhere and TCP ``bind`` is
  allowed on the one port given; creating, writing, truncating, renaming or deleting files is denied
  everywhere (reading stays allowed: the program still loads its libraries). Descriptors already open, such
  as stderr, keep working. Where Landlock or its network rules are missing, the program runs without them
  and :func:`landlock_abi` tells the caller so.
* ``RLIMIT_AS``: the address space the program may map, so a query that wants all memory fails alone.
* ``PR_SET_PDEATHSIG``: the kernel kills the program when its parent (the server) dies.

Landlock cannot filter incoming connections: the engine listens on 127.0.0.1 only, on a port the server
picks, and the server is its only client.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys

try:  # POSIX only
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

# <linux/landlock.h>; the three system calls have the same numbers on every architecture
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_NET_PORT = 2
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
FS_WRITES_V1 = sum(1 << bit for bit in (1, 4, 5, 6, 7, 8, 9, 10, 11, 12))  # write, remove, make every kind of node
FS_REFER_V2, FS_TRUNCATE_V3 = 1 << 13, 1 << 14
NETWORK_ABI = 4  # the first ABI with network rules
PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 38, 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel (0 when there is none, or not on Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):  # pragma: no cover
        return 0
    return max(0, int(version))


def restrict_network_and_writes(bind_port: int) -> None:
    """Landlock this process (and what it executes): TCP bind on ``bind_port`` only, no TCP connect, no file
    writes. Raises OSError when the kernel refuses; does nothing below ABI 4 (no network rules)."""
    abi = landlock_abi()
    if abi < NETWORK_ABI:
        return
    libc = _libc()
    fs = FS_WRITES_V1 | FS_REFER_V2 | FS_TRUNCATE_V3
    attr = _RulesetAttr(handled_access_fs=fs, handled_access_net=NET_BIND_TCP | NET_CONNECT_TCP)
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        port = _NetPortAttr(allowed_access=NET_BIND_TCP, port=bind_port)
        if libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_NET_PORT), ctypes.byref(port), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_add_rule failed")
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sandbox.py", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bind-port", type=int, required=True, help="the one TCP port the program may bind")
    parser.add_argument("--memory", type=int, default=0, help="address space limit in bytes (0: none)")
    parser.add_argument("program", nargs=argparse.REMAINDER, help="-- then the program and its arguments")
    args = parser.parse_args(argv)
    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not program:
        parser.error("give the program to run after --")
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the line above: do not outlive it
            sys.exit(1)
    if args.memory and resource is not None:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    restrict_network_and_writes(args.bind_port)
    os.execv(program[0], program)


if __name__ == "__main__":
    main()
