"""A workspace another process holds: exit code 5 at once, or ``--wait SECONDS`` for it; Ctrl-C is exit 130.

``flock`` locks belong to an open file, so a workspace held open in this
process keeps the command line (run in-process) out as another process would.
"""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from careergraph.cli.main import cli
from careergraph.graph.workspace import WorkspaceBusyError, open_workspace

pytest.importorskip("fcntl")  # no flock on Windows: Oxigraph's own writer lock only


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


@pytest.mark.parametrize("holder_reads, args", [
    (False, ["info"]),  # a reader while a writer holds it
    (True, ["learned", "skill:dart"]),  # a writer while a reader holds it
])
def test_a_held_workspace_is_exit_code_5_in_one_line(ws_dir, holder_reads, args):
    with open_workspace(ws_dir, read_only=holder_reads):
        result = invoke("--store", str(ws_dir), *args)
    assert result.exit_code == WorkspaceBusyError.exit_code == 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(ws_dir) in lines[0] and "in use" in lines[0] and "--wait" in lines[0]


def test_readers_share_a_workspace(ws_dir):
    with open_workspace(ws_dir, read_only=True):
        result = invoke("--store", str(ws_dir), "info", "--format", "json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("how", ["option", "environment"])
def test_wait_goes_on_once_the_other_process_is_done(ws_dir, how):
    holder = open_workspace(ws_dir)
    timer = threading.Timer(1.0, holder.close)
    timer.start()
    try:
        if how == "option":
            result = invoke("--store", str(ws_dir), "--wait", "30", "info", "--format", "json")
        else:
            result = invoke("--store", str(ws_dir), "info", "--format", "json", env={"CAREERGRAPH_WAIT": "30"})
    finally:
        timer.join()
    assert result.exit_code == 0, result.output
    assert '"counts"' in result.stdout
    assert "waiting up to 30 s" in result.stderr and str(ws_dir) in result.stderr


def test_wait_gives_up_after_its_seconds(ws_dir):
    with open_workspace(ws_dir):
        result = invoke("--store", str(ws_dir), "--wait", "0.3", "info")
    assert result.exit_code == 5
    assert "waiting up to 0.3 s" in result.stderr and "in use" in result.stderr.splitlines()[-1]


def test_wait_must_not_be_negative(ws_dir):
    result = CliRunner().invoke(cli, ["--store", str(ws_dir), "--wait", "-1", "info"])
    assert result.exit_code == 2 and "--wait" in result.stderr


def test_ctrl_c_is_exit_code_130_in_one_line(ws_dir, monkeypatch):
    from careergraph.graph import workspace

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workspace.Workspace, "learned", interrupted)
    result = invoke("--store", str(ws_dir), "learned", "skill:dart")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == ["Error: interrupted"]
    assert invoke("--store", str(ws_dir), "info").exit_code == 0  # the workspace was let go


def test_readers_finding_the_label_table_stale_build_it_once(ws_dir, monkeypatch):
    """The first commands after a change find the label table stale at once: one builds it, the
    others wait for it and read it (they used to build it each, into the same temporary file)."""
    import time

    from careergraph.graph.resolve import LabelTable

    built = []
    original = LabelTable._build.__func__

    def slow_build(cls, *args):
        built.append(threading.get_ident())
        time.sleep(0.5)  # long enough for the other readers to arrive while it builds
        return original(cls, *args)

    monkeypatch.setattr(LabelTable, "_build", classmethod(slow_build))
    (ws_dir / "index" / LabelTable.FILE).unlink(missing_ok=True)
    readers = [open_workspace(ws_dir, read_only=True) for _ in range(3)]
    answers, errors = [], []

    def read(ws):
        try:
            kg = ws.knowledge_graph()
            answers.append(kg.curie(LabelTable.of(kg, ws_dir / "index").lookup("Dart", None)[0]))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=read, args=(ws,)) for ws in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ws in readers:
        ws.close()
    assert not errors, errors
    assert answers == ["skill:dart"] * 3
    assert len(built) == 1


def test_readers_finding_the_index_stale_build_it_once(ws_dir, monkeypatch):
    """As the label table: one of the readers started together after a change builds the compiled
    index and saves it; the others wait and load it (at L each built it: 94-98 s and 2.2 GB in all)."""
    import shutil
    import time

    from careergraph.graph import index as index_mod

    built = []
    original = index_mod.build_index

    def slow_build(kg, **kwargs):
        built.append(threading.get_ident())
        time.sleep(0.5)
        return original(kg, **kwargs)

    monkeypatch.setattr(index_mod, "build_index", slow_build)
    shutil.rmtree(ws_dir / "index", ignore_errors=True)
    readers = [open_workspace(ws_dir, read_only=True) for _ in range(3)]
    sizes, errors = [], []

    def read(ws):
        try:
            sizes.append(len(index_mod.compiled_index(ws.knowledge_graph()).targets))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=read, args=(ws,)) for ws in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ws in readers:
        ws.close()
    assert not errors, errors
    assert len(built) == 1
    assert len(sizes) == 3 and len(set(sizes)) == 1 and sizes[0] > 5
