"""Ctrl-C during a big `add` stops it at once and leaves the workspace as it was: a real SIGINT to a
real careergraph process, while its bulk loader (a child process) runs or just after the load."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from careergraph.graph import workspace as wsmod
from careergraph.graph.index import compiled_index, load_index
from careergraph.graph.workspace import BULK_THRESHOLD, MARKER, open_workspace

from test_workspace import snapshot

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from /proc")

#: Triples in the generated file: its bulk load takes a second or more (2-3 s on a busy 2-core machine).
TRIPLES = 150_000
#: Seconds from SIGINT to exit allowed: the loader is killed, the store switched back to its checkpoint.
PROMPT = 3.0


def _triples(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(f'<https://example.org/s{i}> <https://example.org/p{i % 7}> "value {i}" .\n')
    assert path.stat().st_size >= BULK_THRESHOLD
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A file whose bulk load takes long enough to be interrupted."""
    return _triples(tmp_path_factory.mktemp("big") / "big.nt", TRIPLES)


@pytest.fixture(scope="module")
def bulk(tmp_path_factory):
    """A file just big enough to be bulk loaded."""
    return _triples(tmp_path_factory.mktemp("bulk") / "bulk.nt", BULK_THRESHOLD // 60)


def _state(folder: Path) -> dict:
    """What a user of the workspace sees: its sources and triple counts, its content, the generations,
    the files beside the store (the store's own folder may have another name after a switch)."""
    with open_workspace(folder) as ws:
        sources = [(s.label, s.kind, s.triples) for s in ws.sources()]
        repairs = list(ws.repairs)
    meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    stores = [p.name for p in folder.iterdir() if p.name.startswith("oxigraph")]
    return {"sources": sources, "repairs": repairs, "snapshot": snapshot(folder),
            "generation": (meta["generation"], meta.get("data_generation")), "undo": "undo" in meta,
            "stores": len(stores), "store named": stores == [meta.get("store", "oxigraph")],
            "files": sorted(p.name for p in folder.iterdir() if not p.name.startswith("oxigraph")),
            "index": sorted(p.name for p in (folder / "index").iterdir()) if (folder / "index").is_dir() else [],
            "bulk files": sorted(p.name for s in stores for p in (folder / s).glob("bulk-*.sst"))}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _loader(pid: int) -> int | None:
    """The bulk loader child of careergraph process ``pid``, once it runs the load."""
    for child in _children(pid):
        try:
            if b"bulk_load" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            pass
    return None


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError("timed out")


def _cli(*args, code=None):
    head = [sys.executable, "-c", code] if code else [sys.executable, "-m", "careergraph.cli"]
    return subprocess.Popen([*head, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _with_index(folder: Path) -> None:
    """Save the compiled index, so the test can see whether the next command would rebuild it."""
    with open_workspace(folder) as ws:
        compiled_index(ws.knowledge_graph())


def _index_current(folder: Path) -> bool:
    with open_workspace(folder) as ws:
        return load_index(folder / "index", ws.knowledge_graph().index_key()) is not None


def test_ctrl_c_during_the_bulk_load_stops_at_once_and_changes_nothing(ws_dir, big):
    _with_index(ws_dir)
    before = _state(ws_dir)
    proc = _cli("--store", str(ws_dir), "add", str(big))
    loader = _wait_for(lambda: _loader(proc.pid) if proc.poll() is None else "exited")
    assert loader != "exited", proc.communicate()
    time.sleep(0.2)  # the load is under way
    assert _alive(loader), "the load ended before the interrupt: use a bigger file"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert err == "Error: interrupted\n" and out == ""
    assert took < PROMPT, f"{took:.1f} s from SIGINT to exit"
    assert not _alive(loader), "the loader was stopped with its parent"
    after = _state(ws_dir)
    assert after == before, "the workspace reads as before, with nothing left to repair"
    assert _index_current(ws_dir), "the saved index is still current: the next command builds nothing"


#: careergraph, with the checks after the load held up: a Ctrl-C lands after the whole file is in the store.
SLOW_CHECKS = """
import sys, time
from careergraph.graph import workspace
def slow(self, *args):
    print("loaded", file=sys.stderr, flush=True)
    time.sleep(60)
workspace.Workspace._check_cycles = slow
from careergraph.cli.main import main
main()
"""


def test_ctrl_c_after_the_load_switches_back_to_the_checkpoint(ws_dir, bulk):
    """The whole file is in the store but not committed: the undo is the switch back, not a deletion."""
    before = _state(ws_dir)
    proc = _cli("--store", str(ws_dir), "add", str(bulk), code=SLOW_CHECKS)
    assert proc.stderr.readline() == "loaded\n"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err == "Error: interrupted\n", err
    assert time.monotonic() - sent < PROMPT
    assert _state(ws_dir) == before


def test_a_killed_add_takes_its_loader_along_and_the_next_open_switches_back(ws_dir, big):
    before = _state(ws_dir)
    proc = _cli("--store", str(ws_dir), "add", str(big))
    loader = _wait_for(lambda: _loader(proc.pid) if proc.poll() is None else "exited")
    assert loader != "exited", proc.communicate()
    proc.kill()
    proc.communicate()
    _wait_for(lambda: not _alive(loader), timeout=5)  # Linux: it dies with its parent
    with open_workspace(ws_dir) as ws:
        repairs = ws.repairs
    assert len(repairs) == 1 and "by switching back to the store as it was before" in repairs[0], repairs
    assert _state(ws_dir) == before


def test_a_small_add_starts_no_process_and_makes_no_checkpoint(ws_dir, tmp_path, monkeypatch):
    small = tmp_path / "small.nt"
    small.write_text('<https://example.org/a> <https://example.org/p> "one" .\n', encoding="utf-8")

    def refuse(*args, **kwargs):
        raise AssertionError("a small add started a process or made a checkpoint")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(wsmod.Workspace, "_checkpoint", refuse)
    with open_workspace(ws_dir) as ws:
        assert ws.add(small).triples == 1


def test_a_bulk_load_stays_in_this_process_while_something_else_holds_the_store(ws_dir, bulk, monkeypatch):
    """The child cannot open a store this process keeps open; the load then runs here (not interruptible)."""
    def refuse(*args, **kwargs):
        raise AssertionError("started a loader while the store was held")

    with open_workspace(ws_dir) as ws:
        held = ws.store  # noqa: F841 - a reference the workspace does not know of
        monkeypatch.setattr(subprocess, "Popen", refuse)
        assert ws.add(bulk).triples == BULK_THRESHOLD // 60


#: careergraph with deletions in small chunks, held up after the first: a Ctrl-C or kill lands mid-deletion.
SLOW_DELETE = """
import sys, time
from careergraph.graph import workspace
workspace._DELETE_CHUNK = 1000
workspace.REBUILD_THRESHOLD = 10 ** 9  # in place, as for a source smaller than the rest
def slow(self, name):
    self.store.update(f"DELETE {{ GRAPH {name} {{ ?s ?p ?o }} }} WHERE {{ SELECT ?s ?p ?o WHERE "
                      f"{{ GRAPH {name} {{ ?s ?p ?o }} }} LIMIT 1000 }}")
    print("deleting", file=sys.stderr, flush=True)
    time.sleep(60)
workspace.Workspace._delete_graph = slow
from careergraph.cli.main import main
main()
"""


@pytest.mark.parametrize("command, sig", [("remove", signal.SIGINT), ("replace", signal.SIGINT),
                                          ("remove", signal.SIGKILL)])
def test_a_remove_or_replace_cut_short_mid_deletion_changes_nothing(ws_dir, bulk, command, sig):
    """Part of the (old version's) triples are deleted when the process is stopped: the workspace
    switches back to its checkpoint, at once (Ctrl-C) or at the next open (kill)."""
    with open_workspace(ws_dir) as ws:
        ws.add(bulk)
    before = _state(ws_dir)
    args = ["remove", "bulk.nt"] if command == "remove" else ["add", "--replace", str(bulk)]
    proc = _cli("--store", str(ws_dir), *args, code=SLOW_DELETE)
    assert proc.stderr.readline() == "deleting\n"
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and err == "Error: interrupted\n", err
        assert time.monotonic() - sent < PROMPT
        assert _state(ws_dir) == before
    else:
        with open_workspace(ws_dir) as ws:
            assert len(ws.repairs) == 1 and f"undid the {command} of import-" in ws.repairs[0], ws.repairs
        assert _state(ws_dir) == before
