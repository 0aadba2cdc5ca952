"""Time the graph page for a synthetic graph: writing the HTML (layout included) and the first draw.

Usage::

    python benchmarks/viz_bench.py [--nodes 2000] [--repeat 3] [--no-browser]

The synthetic graph (written to a temporary Turtle file and loaded without the
bundled dataset) has components staffed by roles, roles and postings that need
skills, a prerequisite forest and a broader hierarchy among the skills, and
people who hold skills: about 2.3 edges per node, all in one connected part.
The first draw is timed in Debian's headless Chromium (/usr/bin/chromium)
through playwright, with every non-file: request blocked.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

PREFIXES = """@prefix cg: <https://w3id.org/careergraph/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix b: <urn:bench:> .
"""


def synthetic_turtle(nodes: int, seed: int = 1) -> str:
    """A connected career graph of ``nodes`` entities as Turtle."""
    rng = random.Random(seed)
    n_comp = max(1, nodes // 200)
    n_role = max(1, nodes // 40)
    n_post = max(1, nodes // 20)
    n_person = max(1, nodes // 100)
    n_skill = nodes - n_comp - n_role - n_post - n_person
    lines = [PREFIXES]
    skills = [f"b:s{i}" for i in range(n_skill)]
    for i, s in enumerate(skills):
        lines.append(f'{s} a cg:Skill ; skos:prefLabel "Skill {i}" ; cg:effortHours {rng.randint(5, 80)} .')
        if i:
            lines.append(f"{s} cg:prerequisite b:s{rng.randrange(i)} .")  # a forest: acyclic
        if i > 10 and rng.random() < 0.2:
            lines.append(f"{s} skos:broader b:s{rng.randrange(i // 2)} .")
    roles = [f"b:r{i}" for i in range(n_role)]
    for i, r in enumerate(roles):
        needs = " , ".join(rng.sample(skills, 12))
        lines.append(f'{r} a cg:Role ; rdfs:label "Role {i}" ; cg:needsSkill {needs} .')
    for i in range(n_comp):
        staff = " , ".join(rng.sample(roles, min(4, len(roles))))
        lines.append(f'b:c{i} a cg:Component ; rdfs:label "Component {i}" ; cg:staffedBy {staff} .')
    for i in range(n_post):
        needs = " , ".join(rng.sample(skills, 8))
        lines.append(f'b:p{i} a cg:JobPosting ; rdfs:label "Posting {i}" ; schema:title "Posting {i}" ; '
                     f"cg:requiresSkill {needs} .")
    for i in range(n_person):
        held = " , ".join(rng.sample(skills, 10))
        lines.append(f'b:u{i} a cg:Person ; rdfs:label "Person {i}" ; cg:hasSkill {held} ; '
                     f"cg:targetsRole {rng.choice(roles)} .")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)

    from careergraph.graph import load
    from careergraph.graph.visualize import graph_view, write_html

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "bench.ttl"
        data.write_text(synthetic_turtle(args.nodes), encoding="utf-8")
        kg = load(data, bundled=False)
        out = Path(tmp) / "bench.html"
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            view = graph_view(kg, max_nodes=args.nodes)
            layout_done = time.perf_counter()
            write_html(view, out)
            times.append((layout_done - start, time.perf_counter() - start))
        print(f"graph: {len(view.nodes)} nodes, {len(view.edges)} edges, "
              f"HTML {out.stat().st_size / 1e6:.1f} MB")
        print("write HTML (view + layout, then render + write), seconds, median of "
              f"{args.repeat}: view {statistics.median(t[0] for t in times):.3f}, "
              f"total {statistics.median(t[1] for t in times):.3f}")
        if args.no_browser:
            return 0
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--no-first-run", "--disable-sync"])
            for run in range(args.repeat):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                blocked = []
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url.startswith("file:")
                              else (blocked.append(route.request.url), route.abort()))
                page = context.new_page()
                start = time.perf_counter()
                page.goto(out.as_uri())
                page.wait_for_function("() => window.careergraphReady !== undefined", timeout=120_000)
                wall = time.perf_counter() - start
                ready = page.evaluate("window.careergraphReady")
                print(f"browser run {run + 1}: drew {ready['nodes']} nodes, {ready['edges']} edges; "
                      f"script start to first complete draw {ready['drawMs'] / 1000:.2f} s, "
                      f"navigation to draw {ready['sinceNavigationMs'] / 1000:.2f} s, "
                      f"wall {wall:.2f} s; blocked requests: {len(blocked)}")
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
