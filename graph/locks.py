"""One process at a time builds a cache beside a workspace; the others wait and read what it built."""

from __future__ import annotations

import contextlib
from pathlib import Path

__all__ = ["build_lock"]


@contextlib.contextmanager
def build_lock(folder, name: str):
    """Hold ``folder/.NAME.lock`` exclusively (``flock``) while a cache named ``name`` is built.

    Several readers of one workspace may find a cache stale at once (the
    first commands after a change); without this each would build it, into
    the same temporary file. The ones that wait should check again, once they
    hold the lock, whether the cache is now current. Where there is no
    ``flock`` (Windows) it holds nothing: workspaces there have one process at
    a time anyway (Oxigraph's own lock).

    Examples
    --------
    >>> import tempfile
    >>> with build_lock(tempfile.mkdtemp(), "labels"):
    ...     pass
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{name}.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # released when the file closes
        yield
