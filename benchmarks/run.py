"""Run careergraph's benchmarks and print a table of medians, min-max and side-by-side ratios.

Usage::

    python benchmarks/run.py                 # scales S and M (a few minutes)
    python benchmarks/run.py --scales S,M,L  # adds L (100k postings, ~1.9M triples; slow baselines)
    python benchmarks/run.py --scales L --repeat 3 --data-dir /tmp/bench   # L alone, data kept
    python benchmarks/run.py --repeat 5 --json benchmarks/results/latest.json
    python benchmarks/run.py --scales S --exe /tmp/venv/bin/careergraph   # whole processes of that install

Every figure is measured in this run on this machine; ratios compare cases
measured side by side in the same run. Data comes from benchmarks/generate.py
(written to a temporary folder unless --data-dir is given).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TOP_SKILLS = """
PREFIX cg: <https://w3id.org/careergraph/ns#>
SELECT ?skill (COUNT(DISTINCT ?posting) AS ?n) WHERE { ?posting cg:requiresSkill ?skill }
GROUP BY ?skill ORDER BY DESC(?n) LIMIT 20
"""
LOOKUP = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s WHERE { ?s skos:prefLabel ?l FILTER(LCASE(STR(?l)) = "data design 123") }
"""
FEWEST_MISSING = """
PREFIX cg: <https://w3id.org/careergraph/ns#>
SELECT ?posting (COUNT(?skill) AS ?missing) WHERE {
  ?posting cg:requiresSkill ?skill .
  FILTER NOT EXISTS { <https://w3id.org/careergraph/person/bench> cg:hasSkill ?skill }
} GROUP BY ?posting ORDER BY ?missing LIMIT 10
"""
# "Rank every posting by the hours to reach it, prerequisites included", as one would
# write it in SPARQL: the missing required skills with their prerequisites, transitively,
# minus what the person holds (with its prerequisites), summed. It ignores the skill
# hierarchy and OR choices, so it is a simpler question than careergraph answers.
RANK_HOURS = """
PREFIX cg: <https://w3id.org/careergraph/ns#>
SELECT ?posting (SUM(?h) AS ?hours) WHERE {
  { SELECT DISTINCT ?posting ?skill WHERE {
      ?posting a cg:JobPosting ; cg:requiresSkill/cg:prerequisite* ?skill .
      FILTER NOT EXISTS { <https://w3id.org/careergraph/person/bench> cg:hasSkill/cg:prerequisite* ?skill }
  } }
  ?skill cg:effortHours ?h
} GROUP BY ?posting ORDER BY ?hours LIMIT 10
"""


class Bench:
    def __init__(self, repeat: int, budget: float, case_limit: float = 60.0):
        self.repeat = repeat
        self.budget = budget
        self.case_limit = case_limit
        self.rows: list[dict] = []

    def time(self, scale: str, case: str, fn, *, repeat: int | None = None) -> float | None:
        """Run ``fn`` up to ``repeat`` times (fewer once the time budget is spent); record the median."""
        times = []
        for _ in range(repeat or self.repeat):
            start = time.perf_counter()
            try:
                fn()
            except Exception as err:  # a benchmark that cannot run is reported, not hidden
                self.rows.append({"scale": scale, "case": case, "error": f"{type(err).__name__}: {err}"[:120]})
                return None
            times.append(time.perf_counter() - start)
            if sum(times) > self.budget:
                break
        row = {"scale": scale, "case": case, "median": statistics.median(times),
               "min": min(times), "max": max(times), "runs": len(times)}
        self.rows.append(row)
        print(f"  {scale:>2} {case:<58} {_fmt(row['median'])}", file=sys.stderr, flush=True)
        return row["median"]

    def time_limited(self, scale: str, case: str, fn, *, limit: float) -> None:
        """Like :meth:`time`, in a forked child killed after ``limit`` seconds."""
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        queue = ctx.Queue()

        def child():
            times = []
            for _ in range(self.repeat):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
                queue.put(list(times))
                if sum(times) > self.budget:
                    break

        proc = ctx.Process(target=child)
        proc.start()
        proc.join(limit)
        if proc.is_alive():
            proc.kill()
            proc.join()
        times = None
        while not queue.empty():
            times = queue.get()
        if not times:
            self.rows.append({"scale": scale, "case": case,
                              "error": f"no run finished within {limit:.0f} s" if proc.exitcode in (-9, None)
                              else f"failed (exit code {proc.exitcode})"})
            print(f"  {scale:>2} {case:<58} > {limit:.0f} s", file=sys.stderr, flush=True)
            return None
        row = {"scale": scale, "case": case, "median": statistics.median(times),
               "min": min(times), "max": max(times), "runs": len(times)}
        self.rows.append(row)
        print(f"  {scale:>2} {case:<58} {_fmt(row['median'])}", file=sys.stderr, flush=True)
        return row["median"]

    def ratio(self, scale: str, name: str, slow: float | None, fast: float | None,
              at_least: float | None = None) -> None:
        """Record ``slow / fast``; with ``slow`` unknown (it timed out), ``at_least / fast`` as a floor."""
        if slow and fast:
            self.rows.append({"scale": scale, "case": name, "ratio": slow / fast})
        elif at_least and fast:
            self.rows.append({"scale": scale, "case": name, "ratio": at_least / fast, "floor": True})


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


# Whole processes run as an installed tool does: pip compiles an installed
# package's modules to bytecode, so the child may write and reuse bytecode (in a
# folder of its own, so the checkout stays clean) even when the calling shell
# sets PYTHONDONTWRITEBYTECODE. Without it, every run would recompile
# careergraph's modules (about 70 ms here).
_PROCESS_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_PROCESS_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "careergraph-bench-pycache")


#: The careergraph executable whole processes run (``--exe``; default: the one on PATH).
_EXE: str | None = None


def _careergraph() -> str:
    return _EXE or shutil.which("careergraph") or str(Path(sys.executable).with_name("careergraph"))


def _process(args: list[str], *, check: bool = True, expect: int | None = None) -> None:
    """Run a whole process; ``expect``: the exit code it must end with (a refusal, an unknown name)."""
    done = subprocess.run(args, check=check and expect is None, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, env=_PROCESS_ENV)
    if expect is not None and done.returncode != expect:
        raise RuntimeError(f"{' '.join(args)}: exit code {done.returncode}, not {expect}")


def bench_processes(b: Bench) -> None:
    exe = _careergraph()
    _process([exe, "info"])  # warm-up: the bytecode is written once, as at install time
    b.time("S", "process: careergraph --help", lambda: _process([exe, "--help"]))
    b.time("S", "process: careergraph info", lambda: _process([exe, "info"]))
    b.time("S", "process: careergraph query run skills-in-several-postings",
           lambda: _process([exe, "query", "run", "skills-in-several-postings"]))
    b.time("S", "process: careergraph path --to (Effective)",
           lambda: _process([exe, "path", "--to", "posting:effective-senior-flutter-developer"]))


def bench_scale(b: Bench, scale: str, data_dir: Path) -> None:
    import load_bench
    import pyoxigraph as ox
    from rdflib import Graph

    from careergraph.graph import load

    nt = data_dir / f"{scale}.nt"
    work = Path(tempfile.mkdtemp(prefix=f"cg-bench-{scale}-"))
    try:
        # -- load ---------------------------------------------------------------
        holder = {}

        def rdflib_parse():
            holder["rdflib"] = Graph().parse(nt, format="nt")

        def ox_bulk():
            folder = work / f"ox-{time.monotonic_ns()}"
            store = ox.Store(str(folder))
            store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
            store.flush()
            holder["ox_path"] = folder
            holder["ox"] = store

        def workspace_add():
            from careergraph.graph.workspace import init_workspace

            folder = work / f"ws-{time.monotonic_ns()}"
            ws = init_workspace(folder, bundled=False)
            ws.add(nt)
            ws.close()
            holder["ws_path"] = folder

        slow_repeat = 1 if scale == "L" else None
        t_rdflib = b.time(scale, "load: rdflib Graph.parse (N-Triples)", rdflib_parse, repeat=slow_repeat)
        t_bulk = b.time(scale, "load: pyoxigraph Store.bulk_load (baseline)", ox_bulk, repeat=slow_repeat)
        t_named = b.time(scale, "load: pyoxigraph bulk_load into a named graph (like for like)",
                         lambda: load_bench.bulk_named(nt, work / f"oxg-{time.monotonic_ns()}"),
                         repeat=slow_repeat)
        t_ws = b.time(scale, "load: careergraph workspace add (bulk load + checks + catalog)", workspace_add,
                      repeat=slow_repeat)
        b.ratio(scale, "ratio: workspace add / pyoxigraph bulk_load", t_ws, t_bulk)
        b.ratio(scale, "ratio: workspace add / pyoxigraph bulk_load (named graph)", t_ws, t_named)
        b.ratio(scale, "ratio: rdflib parse / pyoxigraph bulk_load", t_rdflib, t_bulk)

        # -- reopen -------------------------------------------------------------
        if "ox" in holder:
            del holder["ox"]
            path = holder["ox_path"]
            b.time(scale, "reopen: pyoxigraph Store(path)", lambda: ox.Store.read_only(str(path)))
        if "ws_path" in holder:
            from careergraph.graph.workspace import open_workspace

            def reopen():
                with open_workspace(holder["ws_path"]) as ws:
                    ws.knowledge_graph()

            b.time(scale, "reopen: careergraph workspace + knowledge graph", reopen)

        # -- queries: rdflib SPARQL vs Oxigraph SPARQL ------------------------------
        store = ox.Store.read_only(str(holder["ox_path"])) if "ox_path" in holder else None
        g = holder.get("rdflib")
        for name, text in (("point lookup by label", LOOKUP), ("top 20 skills by demand", TOP_SKILLS),
                           ("10 postings with fewest missing skills", FEWEST_MISSING)):
            if scale == "M" and name != "point lookup by label":
                continue  # M has no postings
            t_r = b.time(scale, f"sparql rdflib: {name}", lambda: list(g.query(text)),
                         repeat=1 if scale == "L" else None) if g is not None else None
            t_o = b.time(scale, f"sparql oxigraph: {name}", lambda: list(store.query(text))) if store else None
            b.ratio(scale, f"ratio: rdflib / oxigraph, {name}", t_r, t_o)

        # -- careergraph's algorithms on the in-memory graph -----------------------
        # Each case runs in a forked child with a time limit, so a case that is still
        # far from its target (see issue 7) is reported as a timeout, not a hang.
        if scale != "L":
            kg = load(nt, bundled=(scale == "S"))
            from careergraph.graph.convert import skill_model
            from careergraph.graph.paths import learning_path
            from careergraph.graph.ranking import demand, next_skills, rank

            b.time(scale, "careergraph: build the skill model (once per graph)", lambda: skill_model(kg),
                   repeat=1)
            person = kg.entities("person")[0]
            targets = kg.entities("posting") or kg.entities("role")
            cases = [("careergraph: one learning path", lambda: learning_path(kg, person, targets[0])),
                     ("careergraph: rank all roles for a person", lambda: rank(kg, "roles", person=person))]
            if kg.entities("posting"):
                cases += [("careergraph: rank all postings", lambda: rank(kg, "postings", person=person)),
                          ("careergraph: next skill", lambda: next_skills(kg, person=person)),
                          ("careergraph: demand", lambda: demand(kg))]
            for name, fn in cases:
                b.time_limited(scale, name, fn, limit=b.case_limit)
            _bench_plans(b, kg, scale)
            if scale == "S":  # each named query, rdflib and a workspace (Oxigraph) side by side
                from careergraph.graph.workspace import init_workspace

                t_rdflib = _bench_named_queries(b, scale, kg, "rdflib")
                with init_workspace(work / "ws-queries") as ws:
                    t_ox = _bench_named_queries(b, scale, ws.knowledge_graph(), "workspace")
                for name in t_rdflib:
                    b.ratio(scale, f"ratio: rdflib / workspace, query {name}", t_rdflib[name], t_ox.get(name))
        else:
            del g  # _bench_index drops the rdflib graph after its baseline: forks stay cheap
            _bench_index(b, scale, holder, store)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bench_named_queries(b: Bench, scale: str, kg, backend: str) -> dict:
    """Each named query on ``kg`` (its required parameters: the first entity of the kind in the data).

    A query still running after the case limit is reported as a timeout. Returns ``{name: median}``.
    """
    from careergraph import queries
    from careergraph.graph.errors import QueryTimeoutError

    firsts: dict = {}

    def first(kind):
        if kind not in firsts:
            found = kg.entities(kind)
            firsts[kind] = str(found[0]) if found else None
        return firsts[kind]

    out = {}
    for name in queries.names():
        params = {}
        for param in queries.get(name).parameters:
            if not param.required:
                continue
            params[param.name] = first("posting" if param.type == "iri" else param.type)
        case = f"query {backend}: {name}"
        if any(v is None for v in params.values()):
            b.rows.append({"scale": scale, "case": case, "error": "no entity of the kind in the data"})
            continue
        start = time.perf_counter()
        try:
            kg.query(name, timeout=b.case_limit, **params)  # once, to see that it finishes
        except QueryTimeoutError:
            b.rows.append({"scale": scale, "case": case, "error": f"over {b.case_limit:.0f} s (timeout)"})
            continue
        took = time.perf_counter() - start
        if took * b.repeat > b.budget:  # a slow query: its one run is the row
            b.rows.append({"scale": scale, "case": case, "median": took, "min": took, "max": took, "runs": 1})
            out[name] = took
            continue
        out[name] = b.time(scale, case, lambda name=name, params=params: kg.query(
            name, timeout=b.case_limit, **params))
    return out


def _bench_plans(b: Bench, kg, scale: str) -> None:
    """One learning path per target, over 20 roles (and 20 postings), via benchmarks/path_bench.py."""
    import path_bench

    for row in path_bench.time_plans(kg, scale=scale, plans=10, repeat=3):
        b.rows.append({"scale": scale, "case": f"careergraph: one learning path, {row['plans']} {row['kind']}s "
                       f"({row['exact']} exact)", "median": row["median_ms"] / 1000,
                       "min": row["min_ms"] / 1000, "max": row["max_ms"] / 1000, "runs": row["plans"]})


def _bench_index(b: Bench, scale: str, holder: dict, store) -> None:
    """L: careergraph on the on-disk workspace, with the compiled index, against plain SPARQL."""
    import gc


    from careergraph.graph.convert import held_skills, skill_model
    from careergraph.graph.index import compiled_index, load_index, stable_order
    from careergraph.graph.ranking import rank
    from careergraph.graph.workspace import open_workspace

    if "ws_path" not in holder:
        return
    ws = open_workspace(holder["ws_path"])
    try:
        kg = ws.knowledge_graph()
        b.time(scale, "careergraph: build the skill model (once per graph)", lambda: skill_model(kg), repeat=1)
        built = {}
        b.time(scale, "index: build from the store (once per change)",
               lambda: built.setdefault("idx", compiled_index(kg)), repeat=1)
        idx = built["idx"]
        folder = Path(tempfile.mkdtemp(prefix="cg-bench-index-"))
        idx.save(folder)
        b.time(scale, "index: reload from its cache (mapped)", lambda: load_index(folder, idx.key))
        shutil.rmtree(folder, ignore_errors=True)
        gc.freeze()
        person = kg.entities("person")[0]
        known = held_skills(kg, person)
        mask = idx.mask(known)
        postings = idx.rows_of("posting")

        def rank_all():
            bounds = idx.bounds(mask)
            return stable_order(bounds.upper[postings])

        def top_skills():
            idx._demand = None  # computed afresh each run, not read from the cache
            return idx.top_skills(20)

        t_rank = b.time(scale, f"index: rank all {len(postings)} postings (bounds, sorted by hours)", rank_all)
        b.time(scale, "careergraph: rank postings --limit 10 (exact top rows)",
               lambda: rank(kg, "postings", person=person, limit=10, index=idx))
        t_top = b.time(scale, "index: top 20 skills by demand", top_skills)
        from careergraph.graph.ranking import next_skills

        b.time(scale, "careergraph: next skills (index)",
               lambda: next_skills(kg, person=person, limit=10))
        g = holder.pop("rdflib", None)
        t_r = b.time_limited(scale, "sparql rdflib: rank postings by hours (prerequisites*)",
                             lambda: list(g.query(RANK_HOURS)), limit=b.case_limit) if g is not None else None
        g = None  # 2.7 GB: every later fork (a query's time limit) would copy its page tables
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        t_o = b.time_limited(scale, "sparql oxigraph: rank postings by hours (prerequisites*)",
                             lambda: list(store.query(RANK_HOURS)), limit=b.case_limit) if store else None
        b.ratio(scale, "ratio: rdflib SPARQL / index, rank postings", t_r, t_rank, at_least=b.case_limit)
        b.ratio(scale, "ratio: oxigraph SPARQL / index, rank postings", t_o, t_rank, at_least=b.case_limit)
        top_r = next((r["median"] for r in b.rows if r.get("case") == "sparql rdflib: top 20 skills by demand"
                      and r["scale"] == scale and "median" in r), None)
        top_o = next((r["median"] for r in b.rows if r.get("case") == "sparql oxigraph: top 20 skills by demand"
                      and r["scale"] == scale and "median" in r), None)
        b.ratio(scale, "ratio: rdflib SPARQL / index, top skills", top_r, t_top)
        b.ratio(scale, "ratio: oxigraph SPARQL / index, top skills", top_o, t_top)
        _bench_plans(b, kg, scale)
        _bench_named_queries(b, scale, kg, "workspace")
        posting = idx.postings[len(idx.postings) // 2]
        counts = idx.demand()
        hubs = [s for s, _ in idx.top_skills(2)]
        busy = idx.skills[int(abs(counts - 20_000).argmin())]  # a skill about 20,000 postings ask for
    finally:
        ws.close()
    _bench_workspace_processes(b, scale, holder["ws_path"], posting, hubs=hubs, busy=busy)
    _bench_add_postings(b, scale, holder["ws_path"])


def _bench_add_postings(b: Bench, scale: str, folder, count: int = 1000) -> None:
    """Whole processes: add a file of ``count`` new postings (known skills) to the workspace, then ask
    about one of them by title. The add extends the saved index and the label table in place;
    compare with "index: build from the store", which is what the next command paid before."""
    import random

    from careergraph.graph.index import compiled_index
    from careergraph.graph.workspace import open_workspace

    exe = _careergraph()
    with open_workspace(folder) as ws:
        kg = ws.knowledge_graph()
        skills = list(compiled_index(kg).skills)
    # a miss builds the label table (once), as a user's first lookup by name does
    b.time(scale, "process: first lookup by name (builds the label table)",
           lambda: _process([exe, "--store", str(folder), "path", "--to", "a title to build the label table with"],
                            check=False), repeat=1)
    rnd = random.Random(20261126)
    made = Path(tempfile.mkdtemp(prefix="cg-bench-add-")) / "postings.nt"
    cg, rdf = "https://w3id.org/careergraph/ns#", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    with open(made, "w", encoding="utf-8") as fh:
        for i in range(count):
            p = f"<https://w3id.org/careergraph/posting/bench-added-{i}>"
            fh.write(f"{p} <{rdf}> <{cg}JobPosting> .\n{p} <https://schema.org/title> \"Added posting {i}\" .\n")
            fh.writelines(f"{p} <{cg}requiresSkill> <{s}> .\n" for s in rnd.sample(skills, rnd.randint(8, 15)))
    store = ["--store", str(folder)]
    b.time(scale, f"process: add {count} postings (index extended, labels taken in)",
           lambda: _process([exe, *store, "add", str(made)]), repeat=1)
    b.time(scale, "process: path --to an added posting by title, after the add",
           lambda: _process([exe, *store, "path", "--to", f"Added posting {count // 2}"]))
    b.time(scale, "process: info, first after the add",
           lambda: _process([exe, *store, "info"]), repeat=1)
    b.time(scale, f"process: remove the {count} added postings",
           lambda: _process([exe, *store, "remove", str(made)]), repeat=1)
    shutil.rmtree(made.parent, ignore_errors=True)
    with open_workspace(folder) as ws:
        biggest = max((s for s in ws.sources() if s.kind == "user"), key=lambda s: s.triples, default=None)
    if biggest is None:
        return
    b.time(scale, f"process: remove the biggest source ({biggest.triples:,} triples)",
           lambda: _process([exe, *store, "remove", str(biggest.iri)]), repeat=1)


def _bench_workspace_processes(b: Bench, scale: str, folder, posting: str, *, hubs=(), busy=None) -> None:
    """Whole processes on the workspace, its compiled index already saved (as a user runs them)."""
    exe = _careergraph()
    store = ["--store", str(folder)]
    cases = [
        ("process: query run skills-of-posting (point lookup)",
         ["query", "run", "skills-of-posting", "-p", f"posting={posting}"]),
        ("process: demand --limit 20 (top skills)", ["demand", "--limit", "20"]),
        ("process: rank postings --limit 10", ["rank", "postings", "--limit", "10"]),
        ("process: path --to a posting", ["path", "--to", posting]),
        ("process: next --limit 10", ["next", "--limit", "10"]),
        ("process: info", ["info"]),
        ("process: validate (SHACL as SPARQL)", ["validate"]),
        ("process: query run postings-by-seniority (100k rows, 10000 shown)",
         ["query", "run", "postings-by-seniority", "--timeout", "120"]),
        ("process: query run postings-by-seniority -p level=senior",
         ["query", "run", "postings-by-seniority", "-p", "level=senior", "--timeout", "120"]),
        ("process: query run skills-in-several-postings (14k rows)",
         ["query", "run", "skills-in-several-postings", "--timeout", "120"]),
        ("process: query run skills-in-several-postings -p narrower=true",
         ["query", "run", "skills-in-several-postings", "-p", "narrower=true", "--timeout", "120"]),
        ("process: query run skills-in-one-posting", ["query", "run", "skills-in-one-posting", "--timeout", "120"]),
        ("process: query run skills-by-category (14k rows)", ["query", "run", "skills-by-category", "--timeout", "120"]),
    ]
    if len(hubs) == 2:
        cases.append(("process: explain the two skills most postings require", ["explain", *hubs]))
        cases.append(("process: explain the top skill and a level", ["explain", hubs[0], "level:senior"]))
        cases.append(("process: query run postings-requiring-skill, the top skill",
                      ["query", "run", "postings-requiring-skill", "-p", f"skill={hubs[0]}", "--timeout", "120"]))
    if busy is not None:
        cases.append(("process: export --focus a skill of ~20k postings (ttl)",
                      ["export", "--format", "ttl", "--focus", busy, "--depth", "1", "-o", os.devnull]))
    _process([exe, *store, "rank", "postings", "--limit", "1"])  # the index is built and saved once
    if len(hubs) == 2:
        from careergraph.graph.explain import POINTED_FILE

        pointed = Path(folder) / "index" / POINTED_FILE  # what explain learns, kept per generation

        def first_explain():
            pointed.unlink(missing_ok=True)
            _process([exe, *store, "explain", *hubs])

        b.time(scale, "process: explain the two hub skills, first after a change", first_explain)
    timed = {case: b.time(scale, case, lambda args=args: _process([exe, *store, *args])) for case, args in cases}
    if len(hubs) == 2:
        b.time(scale, "process: export --focus the top skill --depth 2 (refused: too big)",
               lambda: _process([exe, *store, "export", "--focus", hubs[0], "--depth", "2", "-o", os.devnull],
                                expect=2))
    # Floors, side by side: what any Python process pays before careergraph's own work, and the
    # issue's prototype's way of answering a point lookup (a script on pyoxigraph alone).
    from careergraph.graph.workspace import MARKER

    marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))  # it names the store's folder
    oxdir = str(Path(folder) / marker.get("store", "oxigraph"))
    lookup = (f"import pyoxigraph as ox; s = ox.Store.read_only({oxdir!r}); "
              f"print(list(s.query('SELECT ?o WHERE {{ <{posting}> <https://w3id.org/careergraph/ns#requiresSkill> "
              "?o }', use_default_graph_as_union=True)))")
    floor = b.time(scale, "process floor: python + pyoxigraph point lookup (prototype)",
                   lambda: _process([sys.executable, "-c", lookup]))
    b.time(scale, "process floor: python -c pass", lambda: _process([sys.executable, "-c", "pass"]))
    b.time(scale, "process floor: python + import click, rdflib, numpy",
           lambda: _process([sys.executable, "-c", "import click, rdflib, numpy"]))
    b.ratio(scale, "ratio: careergraph point lookup / prototype's, whole process", timed[cases[0][0]], floor)
    _bench_endpoint_processes(b, scale, oxdir, posting)


def _bench_endpoint_processes(b: Bench, scale: str, oxdir: str, posting: str) -> None:
    """``--endpoint``: the same store served by Oxigraph server (the ``oxigraph`` package's binary)
    on 127.0.0.1, read-only, its default graph the union of the named graphs."""
    binary = Path(sys.executable).with_name("oxigraph")
    binary = str(binary) if binary.is_file() else shutil.which("oxigraph")
    if binary is None:
        b.rows.append({"scale": scale, "case": "process: --endpoint cases", "error": "no oxigraph binary"})
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([binary, "serve-read-only", "--location", oxdir, "--union-default-graph",
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 60
        while True:  # until it answers
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    b.rows.append({"scale": scale, "case": "process: --endpoint cases",
                                   "error": "Oxigraph server did not start"})
                    return
                time.sleep(0.2)
        exe = _careergraph()
        remote = ["--endpoint", url]
        b.time(scale, "process: --endpoint query run skills-of-posting (point lookup)",
               lambda: _process([exe, *remote, "query", "run", "skills-of-posting", "-p", f"posting={posting}"]))
        b.time(scale, "process: --endpoint path --to a posting",
               lambda: _process([exe, *remote, "path", "--to", posting]))
        b.time(scale, "process: --endpoint path --to an unknown name (suggestions)",
               lambda: _process([exe, *remote, "path", "--to", "realtime developr"], expect=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


def render(rows: list[dict]) -> str:
    lines = [f"{'scale':<5}  {'case':<60}  {'median':>10}  {'min - max':>21}  runs",
             "-" * 108]
    for row in rows:
        if "ratio" in row:
            floor = ">" if row.get("floor") else " "
            lines.append(f"{row['scale']:<5}  {row['case']:<60}  {floor}{row['ratio']:>8.1f}x")
        elif "error" in row:
            lines.append(f"{row['scale']:<5}  {row['case']:<60}  {'n/a':>10}  {row['error']}")
        else:
            span = f"{_fmt(row['min'])} - {_fmt(row['max'])}"
            lines.append(f"{row['scale']:<5}  {row['case']:<60}  {_fmt(row['median']):>10}  {span:>21}  {row['runs']}")
    return "\n".join(lines)


def _install_kind() -> str:
    """How careergraph is installed. An editable install (``pip install -e``) puts an import
    finder into every process's start-up (about 20 ms here), which a regular install has not."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        direct = distribution("careergraph").read_text("direct_url.json")
    except PackageNotFoundError:
        return "nowhere (run from the source tree)"
    editable = bool(direct) and json.loads(direct).get("dir_info", {}).get("editable", False)
    return "editable (pip install -e)" if editable else "as a regular package"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="S,M", help="comma-separated scales from S, M, L (default S,M)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per case before repeats stop")
    parser.add_argument("--case-limit", type=float, default=60.0,
                        help="seconds before an algorithm case is stopped and reported as a timeout")
    parser.add_argument("--data-dir", type=Path, help="reuse generated data here (generated if missing)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--exe", help="the careergraph executable the whole-process cases run (default: the "
                                      "one on PATH); e.g. a regular, non-editable install's")
    args = parser.parse_args(argv)
    global _EXE
    _EXE = args.exe

    import generate

    scales = [s.strip().upper() for s in args.scales.split(",") if s.strip()]
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cg-bench-data-"))
    b = Bench(args.repeat, args.budget, args.case_limit)
    print(f"careergraph benchmarks: scales {','.join(scales)}, {args.repeat} runs, "
          f"{os.cpu_count()} cores", file=sys.stderr)
    bench_processes(b)
    for scale in scales:
        if not (data_dir / f"{scale}.nt").exists():
            info = generate.generate(scale, args.seed, data_dir)
            print(f"generated {scale}: {info['triples']} triples", file=sys.stderr)
        bench_scale(b, scale, data_dir)
    print(render(b.rows))
    if args.exe:
        print(f"\nwhole processes ran {args.exe}")
    else:
        print(f"\ncareergraph installed {_install_kind()}: the whole-process rows include its start-up")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(b.rows, indent=2), encoding="utf-8")
    if not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
