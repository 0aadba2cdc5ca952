"""Shared fixtures: the bundled knowledge graph, loaded once per session."""

import pytest


@pytest.fixture(scope="session")
def kg():
    from careergraph.graph import load

    return load()
