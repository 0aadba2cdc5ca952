"""A real Oxigraph SPARQL server for the endpoint tests, holding the bundled data.

The ``oxigraph`` PyPI package ships the server binary. The session fixture
writes the bundled dataset as N-Quads (one named graph per source, as
``careergraph.graph.load()`` has them), loads it with ``oxigraph load``,
serves it read-only on 127.0.0.1 with the union of the named graphs as the
default graph, and stops the server by its process id at the end.

Without the binary the tests are skipped, except under CI (``CI`` set to
anything but false), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

__all__ = ["oxigraph_binary", "OxigraphServer", "oxigraph_server", "write_nquads"]


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` executable: next to this Python first, then on PATH."""
    beside = Path(sys.executable).parent / ("oxigraph.exe" if os.name == "nt" else "oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_nquads(kg, path: Path) -> int:
    """Write every named graph of ``kg`` as N-Quads; the number of quads written."""
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    lines = []
    for s, p, o, g in kg.dataset.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        if name is None or name == DATASET_DEFAULT_GRAPH_ID:
            lines.append(f"{s.n3()} {p.n3()} {o.n3()} .\n")
        else:
            lines.append(f"{s.n3()} {p.n3()} {o.n3()} {name.n3()} .\n")
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines)


class OxigraphServer:
    """``oxigraph serve-read-only`` on a store loaded from one file; ``url`` is its query URL."""

    def __init__(self, binary: str, data: Path, folder: Path):
        self.binary = binary
        self.location = folder / "store"
        self.port = None
        self.process = None
        subprocess.run([binary, "load", "--location", str(self.location), "--file", str(data)],
                       check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def start(self, *, wait: float = 20.0) -> "OxigraphServer":
        self.port = _free_port()
        self.process = subprocess.Popen(
            [self.binary, "serve-read-only", "--location", str(self.location),
             "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph server exited: {self.process.stderr.read().decode()[:500]}")
            try:
                query = urllib.parse.quote("ASK {}")
                with urllib.request.urlopen(f"{self.url}?query={query}", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oxigraph server did not answer on {self.url} within {wait} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        self.process = None


_RUNNING: list = []  # one server per test process, shared by every module that imports the fixture


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A running Oxigraph server holding the bundled dataset (named graphs kept).

    Test modules import this fixture; pytest then sees one fixture per
    module, so the server itself is started once and shared.
    """
    binary = oxigraph_binary()
    if binary is None:
        message = "the oxigraph server binary is missing (pip install oxigraph)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(message + "; the endpoint tests must run in CI")
        pytest.skip(message)
    if not _RUNNING:
        from careergraph.graph import load

        folder = tmp_path_factory.mktemp("oxigraph")
        data = folder / "bundled.nq"
        write_nquads(load(), data)
        _RUNNING.append(OxigraphServer(binary, data, folder).start())
    try:
        yield _RUNNING[0]
    finally:
        if _RUNNING:  # the first module's teardown (at the end of the session) stops it
            _RUNNING.pop().stop()
