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
from rdflib import RDF

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


#: Typos and pieces of names: unknown names whose suggestions come from the labels nearest them.
TYPOS = ["fluter", "Flutter Developr", "dartt", "Riverpood", "bloc cubitt", "state managment", "senior",
         "Effective", "qa", "Go", "x", "skill:nope", "skill:dartt", "<urn:x y>", "   ", "C++", "flutter-dev"]


@pytest.mark.parametrize("kind", [None, "skill", ("posting", "role")])
def test_every_name_resolves_or_fails_on_the_server_as_in_memory(oxigraph_server, local, kind):  # noqa: F811
    """Labels, CURIEs, IRIs, local names, loose spellings, ambiguous names and typos: the server's
    answer, or its error message with its suggestions, is the in-memory one; no label is pulled."""
    remote = connect(oxigraph_server.url)
    # with a kind, every fourth name (most are unknown for it: four requests each) and the typos
    names = sorted(set(sorted(_names(local))[::1 if kind is None else 4]) | set(TYPOS))
    kinds = {"resolved": 0, "UnknownEntityError": 0, "AmbiguousEntityError": 0}
    for name in names:
        expected = _answer(local, name, kind)
        assert _answer(remote, name, kind) == expected, name
        kinds["resolved" if not isinstance(expected, tuple) else expected[0]] += 1
    assert remote._dataset is None and remote._names is None
    assert kinds["resolved"] > (30 if kind is None else 10) and kinds["UnknownEntityError"] > 5, kinds
    if kind is None:
        assert kinds["AmbiguousEntityError"] >= 1, kinds  # "Flutter Developer": a role and a posting's title


@pytest.mark.parametrize("name", ["effective-senior-flutter-developer", "bloc-cubit", "fluter", "Flutter Developer",
                                  "", "skill:nope"])
def test_names_beyond_an_exact_label_resolve_as_in_memory(oxigraph_server, local, name):  # noqa: F811
    """A local name, a looser spelling, a typo, an ambiguous label, an empty name, an unknown CURIE."""
    remote = connect(oxigraph_server.url)
    assert _answer(remote, name, None) == _answer(local, name, None)
    assert remote._names is None


def test_unknown_name_cli_message_is_the_local_one(oxigraph_server):  # noqa: F811
    args = ["path", "--to", "Senior Flutter Developr at Efective"]
    runner = CliRunner()
    here = runner.invoke(cli, args, catch_exceptions=False)
    there = runner.invoke(cli, ["--endpoint", oxigraph_server.url, *args], catch_exceptions=False)
    assert here.exit_code == there.exit_code == 2
    assert there.output == here.output and len(here.output.strip().splitlines()) == 1
    assert "did you mean: Senior Flutter Developer at Effective" in here.output


class _Counting(Endpoint):
    """An endpoint that keeps each query it sends and how many rows came back."""

    def __init__(self, url):
        super().__init__(url)
        self.sent = []

    def select(self, text, *, timeout=None):
        names, rows = super().select(text, timeout=timeout)
        self.sent.append((text, len(rows)))
        return names, rows


@pytest.mark.parametrize("name", ["fluter", "Senior Flutter Developr", "state managment", "skill:dartt"])
def test_unknown_name_asks_for_a_bounded_few_labels(oxigraph_server, local, monkeypatch, name):  # noqa: F811
    """An unknown name costs at most seven requests (a CURIE's names and whether it is a subject, the
    exact labels, the local names, the best candidates and, when too few share a piece of the name,
    those sharing letters, then the suggestions' names), never pulls a property, and no answer
    holds more than the candidates' bound, which is smaller here than the labels on the server."""
    from careergraph.graph import endpoint as module

    def no_pull(*args, **kwargs):
        raise AssertionError("every label was pulled")

    monkeypatch.setattr(module, "pull", no_pull)
    labels = sum(1 for prop in module._resolve._PRIMARY + module._resolve._SECONDARY
                 for _ in local.graph.subject_objects(prop))
    remote = connect(oxigraph_server.url)
    remote.SUGGESTION_CANDIDATES = 40
    assert labels > 4 * remote.SUGGESTION_CANDIDATES
    remote.endpoint = _Counting(oxigraph_server.url)
    with pytest.raises(UnknownEntityError) as err:
        remote.resolve(name)
    assert err.value.suggestions, name
    sent = remote.endpoint.sent
    assert 3 <= remote.endpoint.requests <= (7 if ":" in name else 5), sent
    limited = [text for text, _ in sent if "LIMIT" in text]  # the candidates, in the order asked
    assert 1 <= len(limited) <= 2 and f"LIMIT {remote.SUGGESTION_CANDIDATES} " in limited[0], limited
    types = max(len(set(local.graph.objects(s, RDF.type))) for s in local.graph.subjects())
    assert all(rows <= remote.SUGGESTION_CANDIDATES * max(types, 1) for _, rows in sent), sent
    assert remote._names is None and remote._dataset is None


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
