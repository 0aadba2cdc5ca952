"""Queries with a time limit on a workspace this process writes run in a fresh process.

A forked child inherits the locks RocksDB's background threads (flush, compaction)
held at the fork; right after an add, 1 query in 15 forked that way waited until its
time limit. A store opened for writing is therefore opened read-only in a new process;
a read-only one (every read command) is still forked.
"""

from pathlib import Path

from careergraph.graph.sparql import run_named
from careergraph.graph.workspace import init_workspace, open_workspace

DATA = Path(__file__).parent / "data" / "workspace_add"


def test_queries_right_after_adds_answer_and_match_a_read_only_open(tmp_path):
    folder = tmp_path / "ws"
    ws = init_workspace(folder)
    answers = []
    try:
        for i in range(8):  # each add leaves RocksDB busy for a moment: query at once
            copy = tmp_path / f"skills-{i}.ttl"
            copy.write_text((DATA / "ghost-skills.ttl").read_text(encoding="utf-8"), encoding="utf-8")
            ws.add(copy)
            kg = ws.knowledge_graph()
            assert kg.oxigraph.spawn_path == str(folder / ws._store_name)
            answers.append(run_named(kg, "skills-in-several-postings", timeout=20).rows)
    finally:
        ws.close()
    assert answers[0] and all(a == answers[0] for a in answers)
    with open_workspace(folder, read_only=True) as ro:
        kg = ro.knowledge_graph()
        assert kg.oxigraph.spawn_path is None  # nothing writes it: the fast fork
        assert run_named(kg, "skills-in-several-postings", timeout=20).rows == answers[0]
