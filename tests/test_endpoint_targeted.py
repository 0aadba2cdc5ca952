"""``--endpoint``: one plan or gap asks the server for what it needs, not for the whole subgraph.

Against a real Oxigraph server holding the bundled data: every answer equals
the in-memory one, and the pulled subgraph (``kg._dataset``) stays unmade.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from careergraph.cli.main import cli
from careergraph.graph import AmbiguousEntityError, UnknownEntityError, load
from careergraph.graph.convert import skill_model
from careergraph.graph.endpoint import Endpoint, connect
from careergraph.graph.paths import learning_path
from careergraph.graph.store import KINDS

from oxigraph_server import oxigraph_server  # noqa: F401  (a session fixture)


@pytest.fixture(scope="module")
def local():
    return load()


def _targets(kg):
    return [*kg.entities("posting"), *kg.entities("role")]


def test_every_plan_equals_the_local_plan_without_pulling_the_subgraph(oxigraph_server, local):  # noqa: F811
    remote = connect(oxigraph_server.url)
    targets = _targets(local)
    assert len(targets) > 5
    for target in targets:
        assert learning_path(remote, None, target) == learning_path(local, None, target), target
    assert remote._dataset is None and remote._names is None


def test_plans_by_label_equal_the_local_plans(oxigraph_server, local):  # noqa: F811
    planned = 0
    for target in _targets(local):
        name = local.label(target)
        remote = connect(oxigraph_server.url)
        try:
            expected = learning_path(local, None, name)
        except AmbiguousEntityError as err:  # "Flutter Developer": a role and a posting's title
            with pytest.raises(AmbiguousEntityError) as got:
                learning_path(remote, None, name)
            assert str(got.value) == str(err)
            continue
        assert learning_path(remote, None, name) == expected, name
        assert remote._dataset is None
        planned += 1
    assert planned > 5


def test_skill_model_pulled_on_its_own_equals_the_local_one(oxigraph_server, local):  # noqa: F811
    remote = connect(oxigraph_server.url)
    ours, theirs = skill_model(local), skill_model(remote)
    assert theirs.hours == ours.hours and len(ours.hours) > 10
    assert theirs.prerequisites == ours.prerequisites and theirs.broader == ours.broader
    assert remote._dataset is None


def test_entities_labels_and_kinds_equal_the_local_ones(oxigraph_server, local):  # noqa: F811
    remote = connect(oxigraph_server.url)
    for kind in KINDS:
        if kind == "source":  # the endpoint is one source; the catalog is not on the server
            continue
        assert remote.entities(kind) == local.entities(kind), kind
    for kind in ("skill", "role", "posting", "person", "component", "organization"):
        for iri in local.entities(kind):
            assert remote.label(iri) == local.label(iri), iri
            assert remote.kind_of(iri) == local.kind_of(iri) == kind, iri
    assert remote._dataset is None and remote._names is None


def _answer(kg, name, kind):
    try:
        return kg.resolve(name, kind)
    except (UnknownEntityError, AmbiguousEntityError) as err:
        return type(err).__name__, str(err)


def _names(local) -> set:
    """Each skill's, role's and posting's labels, CURIE and IRI, and names that need every label."""
    from rdflib import RDFS, SKOS
    from careergraph.ontology import SCHEMA

    names = {"dart", "bloc-cubit", "BLOC / CUBIT", "fluter", "", "qa", "Go", "skill:nope", "<urn:x y>"}
    for kind_name in ("skill", "role", "posting"):
        for iri in local.entities(kind_name):
            names.update({local.curie(iri), str(iri), f"  {local.label(iri).upper()} "})
            for prop in (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SCHEMA.title):
                names.update(str(o) for o in local.graph.objects(iri, prop))
    return names


@pytest.mark.parametrize("kind", [None, "skill", ("posting", "role")])
def test_names_the_server_answers_resolve_as_in_memory(oxigraph_server, local, kind):  # noqa: F811
    """The server's answer (one query) is the in-memory one, or None (then the names are pulled)."""
    remote = connect(oxigraph_server.url)
    answered = 0
    for name in sorted(_names(local)):
        found = remote._resolve_remote(name, kind)
        if found is not None:
            assert found == local.resolve(name, kind), name
            answered += 1
        elif name.startswith(("skill:", "https:")) and kind is None:  # an entity's CURIE or IRI
            assert name == "skill:nope", name
    assert answered > 30
    assert remote._dataset is None and remote._names is None


@pytest.mark.parametrize("name", ["effective-senior-flutter-developer", "bloc-cubit", "fluter", "Flutter Developer", "", "skill:nope"])
def test_names_the_server_cannot_settle_resolve_as_in_memory(oxigraph_server, local, name):  # noqa: F811
    """A local name, a looser spelling, a typo, an ambiguous label, an empty name, an unknown CURIE:
    the names are pulled, and the answer or error is the in-memory one."""
    remote = connect(oxigraph_server.url)
    assert remote._resolve_remote(name, None) is None
    assert _answer(remote, name, None) == _answer(local, name, None)


def test_path_command_on_the_endpoint_prints_the_local_plan(oxigraph_server):  # noqa: F811
    args = ["path", "--to", "posting:effective-senior-flutter-developer"]
    runner = CliRunner()
    here = runner.invoke(cli, args, catch_exceptions=False)
    there = runner.invoke(cli, ["--endpoint", oxigraph_server.url, *args], catch_exceptions=False)
    assert there.exit_code == here.exit_code == 0, there.output
    assert there.stdout == here.stdout


class _Recording(Endpoint):
    """An endpoint that keeps the text of each SELECT it sends."""

    def __init__(self, url):
        super().__init__(url)
        self.sent = []

    def select(self, text, *, timeout=None):
        self.sent.append(text)
        return super().select(text, timeout=timeout)


def test_a_plan_asks_for_its_names_in_one_request_not_one_each(oxigraph_server, local):  # noqa: F811
    target = "posting:effective-senior-flutter-developer"
    plan = learning_path(local, None, target)
    shown = {plan.person.iri, plan.target.iri, *(s.skill.iri for s in plan.steps),
             *(m.requirement.iri for m in plan.met), *(m.held.iri for m in plan.met)}
    remote = connect(oxigraph_server.url)
    remote.endpoint = _Recording(oxigraph_server.url)
    assert learning_path(remote, None, target) == plan
    asked = remote.endpoint.requests
    names = [t for t in remote.endpoint.sent if "schema.org/title" in t]
    assert len(names) == 2, names  # the target's CURIE checked, then every name shown in one request
    assert len(shown) > 10 and asked < 15, asked
