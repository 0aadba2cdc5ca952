"""Shared fixtures: the bundled knowledge graph, loaded once per session."""

import pytest


@pytest.fixture(scope="session")
def kg():
    from careergraph.graph import load

    return load()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A fresh workspace with the bundled data, made once per test module (making one takes a while)."""
    from careergraph.graph.workspace import init_workspace

    folder = tmp_path_factory.mktemp("ws") / "template"
    init_workspace(folder).close()
    return folder


@pytest.fixture
def ws_dir(template, tmp_path):
    """A copy of :func:`template` for one test to change."""
    import shutil

    folder = tmp_path / "ws"
    shutil.copytree(template, folder)
    return folder
