"""The graph page in a real headless Chromium: offline, complete, and data only ever as text."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from careergraph.cli.main import cli
from careergraph.graph import load
from careergraph.graph.store import KINDS
from careergraph.graph.visualize import DEFAULT_TYPES, graph_view, write_html

pytestmark = pytest.mark.browser

SKILL = "https://w3id.org/careergraph/skill/"
# Data that runs a script (setting window.pwned) wherever the page treats it as HTML. The
# second label of cg:JobPosting sorts first, so the legend and the tooltips' "type:" show it.
PAYLOAD_TTL = (Path(__file__).parent.parent / "data" / "valid" / "xss-payloads.ttl").read_text(encoding="utf-8")
IMG_LABEL = '<img src=x onerror="window.pwned=1">'
HREF_TEXT = 'see <a href="javascript:window.pwned=2">href</a> <img src=y onerror="window.pwned=5">'
CLASS_LABEL = '<b onmouseover="window.pwned=6">job posting</b>'


def expected_counts(kg, types):
    """Nodes and edges of a whole-graph view, counted by SPARQL."""
    values = " ".join(f"<{KINDS[t]}>" for t in types)
    nodes = {str(r[0]) for r in kg.graph.query(
        f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {values} }} ?s a ?c . FILTER(isIRI(?s)) }}")}
    edges = {(s, p, o) for s, p, o in kg.graph.query(
        "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?o)) FILTER(?p != rdf:type) }")
        if str(s) in nodes and str(o) in nodes}
    return len(nodes), len(edges)


def assert_clean(page):
    assert page.blocked == [], f"the page tried to fetch {page.blocked}"
    assert page.requests and all(url.startswith("file:") for url in page.requests)
    assert page.errors == []
    assert page.page.evaluate("typeof window.pwned") == "undefined"


def test_bundled_graph_draws_offline(open_page, tmp_path, artifacts):
    out = tmp_path / "careergraph.html"
    result = CliRunner().invoke(cli, ["viz", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = open_page()
    ready = page.open(out)
    nodes, edges = expected_counts(load(), DEFAULT_TYPES)
    assert (ready["nodes"], ready["edges"]) == (nodes, edges)
    assert page.page.evaluate("careergraph.nodes.length") == nodes
    legend = page.page.locator("#cg-legend li").all_text_contents()
    assert len(legend) == len(DEFAULT_TYPES)
    print(f"bundled graph: {nodes} nodes, {edges} edges drawn in {ready['drawMs']:.0f} ms")
    page.page.screenshot(path=str(artifacts / "bundled-graph.png"))
    assert_clean(page)


@pytest.fixture(scope="module")
def payloads(tmp_path_factory):
    path = tmp_path_factory.mktemp("payloads") / "payloads.ttl"
    path.write_text(PAYLOAD_TTL, encoding="utf-8")
    return path


def test_payloads_in_the_whole_graph_do_not_break_the_page(open_page, tmp_path, payloads):
    out = tmp_path / "all.html"
    result = CliRunner().invoke(cli, ["--data", str(payloads), "viz", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = open_page()
    ready = page.open(out)
    assert (ready["nodes"], ready["edges"]) == expected_counts(load(payloads), DEFAULT_TYPES)
    labels = page.page.evaluate("careergraph.nodes.get().map(n => n.label)")
    assert "</script><script>window.pwned=3</script>" in labels
    assert_clean(page)


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_payloads_show_as_text(open_page, tmp_path, payloads, bypass_csp):
    kg = load(payloads)
    view = graph_view(kg, focus="skill:xss-img", depth=2)
    out = write_html(view, tmp_path / "focus.html")
    page = open_page(bypass_csp=bypass_csp)
    ready = page.open(out)
    p = page.page
    assert (ready["nodes"], ready["edges"]) == (len(view.nodes), len(view.edges))
    assert p.evaluate("document.querySelectorAll('img, svg, a, iframe, object, embed, b').length") == 0
    assert p.evaluate("document.scripts.length") == 3
    # The heading and the document title read as the literal label.
    assert IMG_LABEL in view.title
    assert p.locator("#cg-title").text_content() == view.title
    assert p.title() == view.title
    # The legend shows the class label as text.
    assert any(CLASS_LABEL in text for text in p.locator("#cg-legend li").all_text_contents())
    # The search finds the node by its literal label and shows its details as text.
    options = p.evaluate("[...document.querySelectorAll('#cg-labels option')].map(o => o.value)")
    assert IMG_LABEL in options
    p.fill("#cg-query", IMG_LABEL)
    p.click("#cg-search button")
    assert p.locator("#cg-status").text_content() == "1 match: " + IMG_LABEL
    details = p.locator("#cg-details").text_content()
    assert details.startswith(IMG_LABEL + "\n") and HREF_TEXT in details
    assert p.evaluate("careergraph.network.getSelectedNodes()") == [SKILL + "xss-img"]
    # Hovering shows vis's tooltip: the title containing "href" stays text.
    box = p.evaluate("""() => {
        const net = careergraph.network, id = %r;
        net.moveTo({position: net.getPosition(id), scale: 1.5, animation: false});
        const dom = net.canvasToDOM(net.getPosition(id));
        const rect = document.getElementById('cg-network').getBoundingClientRect();
        return {x: rect.left + dom.x, y: rect.top + dom.y};
    }""" % (SKILL + "xss-img"))
    p.mouse.move(box["x"] + 40, box["y"] + 40)
    p.mouse.move(box["x"], box["y"])
    tooltip = p.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible", timeout=10_000)
    text = tooltip.text_content()
    assert text.startswith(IMG_LABEL) and HREF_TEXT in text
    assert tooltip.locator("a, img, b, svg").count() == 0
    # A posting's tooltip names its type with the literal class label.
    posting = next(n for n in view.nodes if n.kind == "posting")
    assert f"type: {CLASS_LABEL}" in posting.title
    assert_clean(page)


def test_highlighted_path(open_page, tmp_path, artifacts):
    from careergraph.graph.paths import learning_path

    kg = load()
    plan = learning_path(kg, kg.entities("person")[0], kg.resolve("Senior Flutter Developer at Effective"))
    steps = [URIRef(step.skill.iri) for step in plan.steps]
    role = URIRef(plan.target.iri)  # the posting: emphasised, not numbered
    assert len(steps) >= 3
    view = graph_view(kg, focus=role, depth=1, path=steps, path_target=role,
                      title=f"careergraph: learning path to {plan.target.label} ({plan.total_hours:g} h)")
    out = write_html(view, tmp_path / "path.html")
    page = open_page()
    ready = page.open(out)
    p = page.page
    assert (ready["nodes"], ready["edges"]) == (len(view.nodes), len(view.edges))
    drawn = p.evaluate("Object.fromEntries(careergraph.nodes.get().map(n => [n.id, n.label]))")
    for number, step in enumerate(steps, start=1):
        assert drawn[str(step)] == f"{number}. {kg.label(step)}"
    assert drawn[str(role)] == kg.label(role)  # the target is emphasised, not numbered
    off_path = [n.id for n in view.nodes if URIRef(n.id) not in steps and URIRef(n.id) != role]
    assert off_path and all(drawn[i] == kg.label(URIRef(i)) for i in off_path)
    borders = p.evaluate("Object.fromEntries(careergraph.nodes.get().map(n => [n.id, n.borderWidth || 1]))")
    assert {i for i, w in borders.items() if w > 1} == {str(s) for s in steps} | {str(role)}
    widths = p.evaluate("Object.fromEntries(careergraph.edges.get().map(e => [e.id, e.width || 1]))")
    emphasised = {e.id for e in view.edges if e.highlighted}
    assert emphasised and {i for i, w in widths.items() if w > 1} == emphasised
    assert "learning path" in p.locator("#cg-legend").text_content()
    p.screenshot(path=str(artifacts / "learning-path.png"))
    assert_clean(page)


@pytest.mark.parametrize("roles", [0, 1, 2], ids=["empty", "one-node", "two-nodes-physics"])
def test_tiny_views_draw(open_page, tmp_path, roles):
    data = tmp_path / "tiny.ttl"
    data.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n<urn:s> a cg:Skill .\n"
                    + "".join(f"<urn:r{i}> a cg:Role .\n" for i in range(roles)), encoding="utf-8")
    view = graph_view(load(data, bundled=False), types=["role"])
    assert len(view.nodes) == roles
    page = open_page()
    ready = page.open(write_html(view, tmp_path / "tiny.html"), timeout=4_000)  # before the 5 s fallback
    assert (ready["nodes"], ready["edges"]) == (roles, 0)
    assert_clean(page)
