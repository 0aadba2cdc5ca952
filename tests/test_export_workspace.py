"""The whole graph exported from a workspace (opened read-only, as every export is) equals the in-memory export."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from careergraph.cli.main import cli


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "nt", "trig"])
def test_whole_export_from_a_workspace_is_the_in_memory_export(ws_dir, tmp_path, fmt):
    here, there = tmp_path / f"memory.{fmt}", tmp_path / f"workspace.{fmt}"
    runner = CliRunner()
    memory = runner.invoke(cli, ["export", "--format", fmt, "-o", str(here)], catch_exceptions=False)
    workspace = runner.invoke(cli, ["--store", str(ws_dir), "export", "--format", fmt, "-o", str(there)],
                              catch_exceptions=False)
    assert memory.exit_code == workspace.exit_code == 0, workspace.output
    if fmt in ("graphml", "gexf"):  # drawn from the same entities and relations: the same file
        assert there.read_bytes() == here.read_bytes()
    else:  # RDF: the same statements (a workspace's sources may be named apart)
        from rdflib import Dataset

        from rdflib import XSD, Literal

        numbers = {XSD.decimal, XSD.integer, XSD.double}

        def triples(path):  # numbers by value: Oxigraph writes 30.0 as 30
            ds = Dataset()
            ds.parse(path, format="nt" if fmt == "nt" else "trig")
            return {(s, p, ("number", o.toPython()) if isinstance(o, Literal) and o.datatype in numbers else o)
                    for s, p, o, _ in ds.quads((None, None, None, None))}

        assert triples(there) == triples(here) and len(triples(here)) > 1000
