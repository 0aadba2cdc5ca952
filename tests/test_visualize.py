"""The graph page: what it draws, how it escapes data, and the viz command."""

import base64
import hashlib
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from careergraph.cli.main import cli
from careergraph.graph import CareerGraphError, UsageError, load
from careergraph.graph.store import KINDS
from careergraph.graph.visualize import (
    ALL_TYPES,
    DEFAULT_TYPES,
    graph_view,
    render_html,
    write_html,
)

SKILL = "https://w3id.org/careergraph/skill/"

# Strings that would run a script (setting window.pwned) if the page treated
# data as HTML; the definition is a tooltip containing "href".
PAYLOAD_TTL = (Path(__file__).parent / "data" / "valid" / "xss-payloads.ttl").read_text(encoding="utf-8")
IMG_LABEL = '<img src=x onerror="window.pwned=1">'
SCRIPT_LABEL = "</script><script>window.pwned=3</script>"
SVG_LABEL = "<svg onload=window.pwned=4>"


@pytest.fixture(scope="module")
def payload_kg(tmp_path_factory):
    path = tmp_path_factory.mktemp("payload") / "payloads.ttl"
    path.write_text(PAYLOAD_TTL, encoding="utf-8")
    return load(path), path


def expected_nodes(kg, types):
    """The entities of the chosen kinds, by SPARQL (independently of visualize.py)."""
    values = " ".join(f"<{KINDS[t]}>" for t in types)
    rows = kg.graph.query(f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {values} }} ?s a ?c . "
                          "FILTER(isIRI(?s)) }")
    return {str(r[0]) for r in rows}


def expected_edges(kg, nodes):
    """Every (s, p, o) between two nodes except rdf:type, by SPARQL."""
    rows = kg.graph.query("SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?o)) "
                          "FILTER(?p != rdf:type) }")
    return {(str(s), str(p), str(o)) for s, p, o in rows if str(s) in nodes and str(o) in nodes}


def drawn_edges(view):
    return {(e.source, e.relation, e.target) for e in view.data_edges}


@pytest.mark.parametrize("types", [DEFAULT_TYPES, ("skill",), ("component", "role"),
                                   ("posting", "organization", "level"), ALL_TYPES])
def test_counts_equal_what_the_graph_holds(kg, types):
    view = graph_view(kg, types=types)
    nodes = expected_nodes(kg, types)
    assert {n.id for n in view.nodes} == nodes
    assert len(view.nodes) == len(nodes) == sum(kg.info().counts[t] for t in types)
    assert drawn_edges(view) == expected_edges(kg, nodes)
    assert len(view.edges) == len(view.data_edges)  # no path: no path-only edges
    assert {n.kind for n in view.nodes} <= set(types)
    for node in view.nodes:
        assert node.kind == kg.kind_of(URIRef(node.id))


def test_nodes_and_edges_carry_labels_types_and_provenance(kg):
    view = graph_view(kg)
    sources = {s.label for s in kg.sources}
    for node in view.nodes:
        iri = URIRef(node.id)
        assert node.label == kg.label(iri)
        lines = node.title.split("\n")
        assert lines[0] == node.label
        assert lines[1] == f"type: {kg.label(KINDS[node.kind])}"
        assert f"id: {kg.curie(iri)}" in lines
        provenance = lines[-1].removeprefix("source: ").split("; ")
        expected = sorted({s.label for s in kg.sources
                           for _ in kg.dataset.graph(s.iri).triples((iri, None, None))})
        assert provenance == expected and set(provenance) <= sources
    requires = [e for e in view.edges if e.relation.endswith("#requiresSkill")]
    assert requires and all(e.label == "requires skill" for e in requires)
    dart = next(n for n in view.nodes if n.id == SKILL + "dart")
    assert "effort: " in dart.title  # the bundled data gives Dart effort hours
    assert [entry["kind"] for entry in view.legend] == [t for t in ALL_TYPES if t in DEFAULT_TYPES]
    assert sum(entry["count"] for entry in view.legend) == len(view.nodes)


def test_types_filter_and_unknown_type(kg):
    view = graph_view(kg, types="role,skill")
    assert {n.kind for n in view.nodes} == {"role", "skill"}
    with pytest.raises(UsageError, match="unknown type 'robot'"):
        graph_view(kg, types=["robot"])
    with pytest.raises(UsageError):
        graph_view(kg, types=[])


def neighbours(kg, iri, nodes):
    rows = kg.graph.query("SELECT DISTINCT ?x WHERE { { ?f ?p ?x } UNION { ?x ?p ?f } "
                          "FILTER(isIRI(?x)) FILTER(?p != rdf:type) }", initBindings={"f": iri})
    return {str(r[0]) for r in rows} & nodes


@pytest.mark.parametrize("types", [DEFAULT_TYPES, ("skill", "posting")])
def test_focus_neighbourhood(kg, types):
    dart = kg.resolve("skill:dart")
    nodes = expected_nodes(kg, types)
    assert {n.id for n in graph_view(kg, focus="skill:dart", depth=0, types=types).nodes} == {str(dart)}
    one = {n.id for n in graph_view(kg, focus="Dart", depth=1, types=types).nodes}
    assert one == {str(dart)} | neighbours(kg, dart, nodes)
    two = graph_view(kg, focus=dart, depth=2, types=types)
    expected_two = set(one)
    for n in one:
        expected_two |= neighbours(kg, URIRef(n), nodes)
    assert {n.id for n in two.nodes} == expected_two
    assert drawn_edges(two) == expected_edges(kg, expected_two)
    assert "Dart" in two.title


def test_focus_outside_types_is_still_drawn(kg):
    view = graph_view(kg, focus="person:seed-author", types=["skill"])
    kinds = {n.kind for n in view.nodes}
    assert kinds == {"person", "skill"}


def test_bad_focus_and_depth(kg):
    with pytest.raises(UsageError):
        graph_view(kg, focus="no such thing at all")
    with pytest.raises(UsageError, match="depth"):
        graph_view(kg, focus="skill:dart", depth=-1)
    with pytest.raises(UsageError, match="not an entity careergraph can draw"):
        graph_view(kg, focus="source:postings")  # sources show as provenance, not as nodes
    with pytest.raises(UsageError, match="not an entity careergraph can draw"):
        graph_view(kg, path=["skill:dart", "cg:Skill"])


def test_max_nodes_refusal(kg):
    size = len(expected_nodes(kg, DEFAULT_TYPES))
    assert len(graph_view(kg, max_nodes=size).nodes) == size
    with pytest.raises(UsageError) as err:
        graph_view(kg, max_nodes=size - 1)
    message = str(err.value)
    assert f"{size} nodes" in message and "--focus" in message and "--types" in message


def test_max_nodes_refusal_with_a_path_names_the_focus_that_draws_it(kg):
    target = "posting:effective-senior-flutter-developer"
    size = len(expected_nodes(kg, DEFAULT_TYPES))
    with pytest.raises(UsageError) as err:
        graph_view(kg, max_nodes=size - 1, path=["skill:dart"], path_target=target)
    assert f"--focus {target}" in str(err.value)
    # and the command it suggests draws the path
    view = graph_view(kg, max_nodes=size - 1, path=["skill:dart"], path_target=target, focus=target)
    assert {target, "skill:dart"} <= {kg.curie(n.id) for n in view.nodes}


def test_layout_is_seeded(kg):
    first = {n.id: (n.x, n.y) for n in graph_view(kg).nodes}
    again = {n.id: (n.x, n.y) for n in graph_view(kg).nodes}
    other = {n.id: (n.x, n.y) for n in graph_view(kg, seed=7).nodes}
    assert first == again
    assert first != other
    assert len(set(first.values())) == len(first)  # no two nodes on one spot


def test_layout_fills_a_landscape_screen(kg):
    view = graph_view(kg)
    xs, ys = [n.x for n in view.nodes], [n.y for n in view.nodes]
    assert max(xs) - min(xs) > max(ys) - min(ys)


def test_empty_view_renders(tmp_path):
    data = tmp_path / "one.ttl"
    data.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n<urn:r> a cg:Role .\n",
                    encoding="utf-8")
    view = graph_view(load(data, bundled=False), types=["skill"], title="nothing <here>")
    assert (view.nodes, view.edges, view.legend) == ([], [], [])
    page = render_html(view)
    assert json.loads(data_block(page))["nodes"] == []
    assert "<title>nothing &lt;here&gt;</title>" in page


def test_large_component_layout(tmp_path):
    """A connected part above the spring-layout limit gets positions for every node."""
    lines = ["@prefix cg: <https://w3id.org/careergraph/ns#> .",
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> ."]
    for i in range(420):
        lines.append(f'<urn:s{i}> a cg:Skill ; skos:prefLabel "s{i}" .')
        if i:
            lines.append(f"<urn:s{i}> cg:prerequisite <urn:s{(i - 1) // 3}> .")
    data = tmp_path / "big.ttl"
    data.write_text("\n".join(lines), encoding="utf-8")
    kg = load(data, bundled=False)
    view = graph_view(kg, types=["skill"])
    assert len(view.nodes) == 420 and len(view.edges) == 419
    assert len({(n.x, n.y) for n in view.nodes}) == 420
    assert view.physics is False
    assert [(n.x, n.y) for n in view.nodes] == [(n.x, n.y) for n in graph_view(kg, types=["skill"]).nodes]


# -- the learning-path highlight ---------------------------------------------------------


def prerequisite_chain(kg):
    """A real prerequisite chain from the data: the skill with the most prerequisites, in order."""
    rows = kg.graph.query(
        "PREFIX cg: <https://w3id.org/careergraph/ns#> "
        "SELECT ?s (COUNT(DISTINCT ?x) AS ?n) WHERE { ?s cg:prerequisite+ ?x } "
        "GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 1")
    target = next(iter(rows))[0]
    closure = {r[0] for r in kg.graph.query(
        "PREFIX cg: <https://w3id.org/careergraph/ns#> SELECT ?x WHERE { ?t cg:prerequisite+ ?x }",
        initBindings={"t": target})}
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(closure | {target})
    for s, o in kg.graph.query(
            "PREFIX cg: <https://w3id.org/careergraph/ns#> SELECT ?s ?o WHERE { ?s cg:prerequisite ?o }"):
        if s in g and o in g:
            g.add_edge(o, s)  # learn o before s
    return list(nx.lexicographical_topological_sort(g, key=str))


def test_path_highlight(kg):
    steps = prerequisite_chain(kg)
    assert len(steps) >= 3
    view = graph_view(kg, focus=steps[-1], depth=1, path=steps)
    by_id = {n.id: n for n in view.nodes}
    assert [by_id[str(s)].step for s in steps] == list(range(1, len(steps) + 1))
    assert all(n.step is None for n in view.nodes if URIRef(n.id) not in steps)
    assert view.path == [str(s) for s in steps]
    on_path = {str(s) for s in steps}
    for edge in view.data_edges:
        assert edge.highlighted == (edge.source in on_path and edge.target in on_path)
    linked = {frozenset((e.source, e.target)) for e in view.data_edges}
    connectors = {frozenset((e.source, e.target)) for e in view.edges if e.path_only}
    consecutive = {frozenset((str(a), str(b))) for a, b in zip(steps, steps[1:])}
    assert connectors == consecutive - linked
    assert all(e.highlighted and e.label == "next step" for e in view.edges if e.path_only)
    assert f"path step 1 of {len(steps)}" in by_id[str(steps[0])].title


def test_path_target(kg):
    steps = prerequisite_chain(kg)
    needs = ("PREFIX cg: <https://w3id.org/careergraph/ns#> SELECT ?r WHERE { ?r cg:needsSkill ?s . "
             "VALUES ?s { %s } } ORDER BY ?r" % " ".join(f"<{s}>" for s in steps))
    role = str(next(iter(kg.graph.query(needs)))[0])
    view = graph_view(kg, types=["skill"], path=steps, path_target=role)
    by_id = {n.id: n for n in view.nodes}
    assert by_id[role].kind == "role" and by_id[role].step is None and by_id[role].on_path
    assert view.target == role and "the path's target" in by_id[role].title
    assert {n.id for n in view.nodes if n.on_path} == {str(s) for s in steps} | {role}
    # The last step leads to the target: by a data edge if there is one, else a dashed connector.
    linked = (URIRef(role), None, steps[-1]) in kg.graph or (steps[-1], None, URIRef(role)) in kg.graph
    last = [e for e in view.edges if {e.source, e.target} == {role, str(steps[-1])}]
    assert last and all(e.highlighted for e in last)
    assert [e.path_only for e in last] == ([False] * len(last) if linked else [True])
    # Edges from the target to steps are emphasised; edges to nodes off the path are not.
    for edge in view.data_edges:
        ends = {edge.source, edge.target}
        assert edge.highlighted == (ends <= {str(s) for s in steps} | {role})


def test_explicit_path_edges(kg):
    view = graph_view(kg, types=["skill"], path=["skill:dart", "skill:kafka"],
                      path_edges=[("skill:dart", "skill:kafka")])
    connector = [e for e in view.edges if e.path_only]
    assert [(e.source, e.target) for e in connector] == [(SKILL + "dart", SKILL + "kafka")]
    assert sum(e.highlighted for e in view.data_edges) == 0


# -- the page --------------------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(page):
    parser = Tags()
    parser.feed(page)
    return parser


def data_block(page):
    match = re.search(r'<script type="application/json" id="cg-data">(.*?)</script>', page, re.S)
    return match.group(1)


def test_page_is_offline(kg):
    page = render_html(graph_view(kg))
    tags = parse(page).tags
    for tag, attrs in tags:
        for name in ("src", "href", "action", "srcset", "data"):
            assert name not in attrs, (tag, attrs)
    assert [t for t, _ in tags if t == "link"] == []
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page.split('id="cg-data"')[0])
    # The Content-Security-Policy allows exactly the page's own inline scripts.
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") ==
               "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    bodies = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(bodies) == 2
    for body in bodies:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_payloads_stay_data(payload_kg):
    kg, _ = payload_kg
    view = graph_view(kg, focus="skill:xss-img", depth=2)
    labels = {n.label for n in view.nodes}
    assert {IMG_LABEL, SCRIPT_LABEL, SVG_LABEL} <= labels
    page = render_html(view)
    parsed = parse(page)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("script") == 3 and "img" not in tags and "svg" not in tags and "a" not in tags
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    # The data round-trips exactly: no double escaping, nothing lost.
    block = data_block(page)
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block) == json.loads(json.dumps(view.as_dict()))
    # The heading names the focus: autoescaped, it reads as the literal label.
    assert IMG_LABEL in view.title
    assert parsed.title == view.title
    assert unescape(re.search(r'<h1 id="cg-title">(.*?)</h1>', page).group(1)) == view.title
    assert IMG_LABEL not in page  # only ever escaped


def test_title_with_href_is_plain_text(payload_kg):
    kg, _ = payload_kg
    node = next(n for n in graph_view(kg).nodes if n.id == SKILL + "xss-img")
    assert '<a href="javascript:window.pwned=2">href</a>' in node.title


# -- writing and the command -----------------------------------------------------------------


def test_write_html_is_atomic(kg, tmp_path):
    out = tmp_path / "g.html"
    out.write_text("old", encoding="utf-8")
    view = graph_view(kg, focus="skill:dart", depth=0)
    assert write_html(view, out) == out
    assert out.read_text(encoding="utf-8") == render_html(view)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.html"]
    with pytest.raises(CareerGraphError, match="cannot write"):
        write_html(view, tmp_path / "missing" / "g.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.html"]


def test_cli_viz(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["viz"])
    assert result.exit_code == 0, result.output
    assert result.output == "careergraph.html\n"
    page = (tmp_path / "careergraph.html").read_text(encoding="utf-8")
    data = json.loads(data_block(page))
    kg = load()
    assert len(data["nodes"]) == len(expected_nodes(kg, DEFAULT_TYPES))


def test_cli_viz_options(tmp_path, monkeypatch, payload_kg):
    _, payloads = payload_kg
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    out = tmp_path / "focus.html"
    result = CliRunner().invoke(cli, ["--data", str(payloads), "viz", "--out", str(out), "--focus",
                                      "skill:xss-img", "--depth", "1", "--types", "skill",
                                      "--types", "posting", "--open"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    assert opened == [out.resolve().as_uri()]
    data = json.loads(data_block(out.read_text(encoding="utf-8")))
    assert {n["kind"] for n in data["nodes"]} == {"skill"}  # the posting is two steps away
    assert len(data["nodes"]) == 3  # xss-img, its prerequisite Dart, its narrower xss-script


@pytest.mark.parametrize("args, message", [
    (["viz", "--max-nodes", "5"], "--focus"),
    (["viz", "--depth", "2"], "--depth needs --focus"),
    (["viz", "--types", "robot"], "unknown type 'robot'"),
    (["viz", "--focus", "no such entity xyz"], "unknown entity"),
    (["viz", "--depth", "-1", "--focus", "dart"], "-1"),
])
def test_cli_viz_usage_errors(tmp_path, args, message):
    args = [*args, "--out", str(tmp_path / "x.html")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()


def test_cli_viz_cannot_write(tmp_path):
    result = CliRunner().invoke(cli, ["viz", "--out", str(tmp_path / "no" / "x.html")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "cannot write" in result.output


def test_cli_viz_to_highlights_the_learning_path(tmp_path):
    from careergraph.graph.paths import learning_path

    out = tmp_path / "path.html"
    target = "Senior Flutter Developer at Effective"
    result = CliRunner().invoke(cli, ["viz", "--to", target, "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(data_block(out.read_text(encoding="utf-8")))
    kg = load()
    plan = learning_path(kg, kg.entities("person")[0], kg.resolve(target))
    numbered = sorted((n for n in data["nodes"] if n["step"]), key=lambda n: n["step"])
    assert [n["id"] for n in numbered] == [str(s.skill.iri) for s in plan.steps]
    assert [n["step"] for n in numbered] == list(range(1, len(plan.steps) + 1))
    on_path = {n["id"] for n in data["nodes"] if n["onPath"]}
    assert on_path == {str(s.skill.iri) for s in plan.steps} | {str(plan.target.iri)}


@pytest.mark.parametrize("args, message", [
    (["viz", "--person", "Seed author"], "--person goes with --to"),
    (["viz", "--to", "no such posting"], "unknown posting or role"),
])
def test_cli_viz_to_usage_errors(tmp_path, args, message):
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "x.html").exists()


def test_cli_viz_to_draws_the_paths_neighbourhood_when_the_whole_graph_is_too_big(tmp_path):
    from careergraph.graph.paths import learning_path
    from careergraph.graph.visualize import graph_view

    kg = load()
    target = "Senior Flutter Developer at Effective"
    plan = learning_path(kg, kg.entities("person")[0], kg.resolve(target))
    whole = len(graph_view(kg).nodes)
    out = tmp_path / "path.html"
    limit = whole - 1
    result = CliRunner().invoke(cli, ["viz", "--to", target, "--max-nodes", str(limit), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"more than {limit} nodes" in result.stderr and "--focus posting:effective" in result.stderr
    data = json.loads(data_block(out.read_text(encoding="utf-8")))
    numbered = sorted((n for n in data["nodes"] if n["step"]), key=lambda n: n["step"])
    assert [n["id"] for n in numbered] == [str(s.skill.iri) for s in plan.steps]
    assert len(data["nodes"]) < whole
    # with --focus given, too big stays an error (the user chose the view)
    result = CliRunner().invoke(cli, ["viz", "--to", target, "--focus", "skill:dart", "--depth", "3",
                                      "--max-nodes", "3", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "more than the limit of 3" in result.stderr
