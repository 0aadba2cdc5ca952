"""Generate realistic synthetic careergraph data at three scales, deterministic from a seed.

Scales
------
S  the bundled dataset (written out as one file, for the same benchmarks on tiny data)
M  ESCO-like: ~14,000 skills in a broader hierarchy (40 abstract roots, 400 groups,
   leaves), ~3,000 roles with ~40 skills each, ~20,000 prerequisite edges forming a
   DAG of at most four tiers, effort hours on every learnable skill, one 20-skill person
L  M plus 100,000 postings with 8-15 required skills (and 0-3 optional) each,
   drawn with power-law (Zipf) skill popularity; about 2M triples

Usage::

    python benchmarks/generate.py --scale M --out benchmarks/data      # writes M.nt and M.ttl
    python benchmarks/generate.py --scale L --seed 7 --out /tmp/bench

The same scale and seed always give byte-identical files.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
from itertools import accumulate
from pathlib import Path

BASE = "https://w3id.org/careergraph/"
PREFIXES = {
    "cg": BASE + "ns#",
    "skill": BASE + "skill/",
    "role": BASE + "role/",
    "posting": BASE + "posting/",
    "org": BASE + "org/",
    "person": BASE + "person/",
    "level": BASE + "level/",
    "category": BASE + "category/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
A = "rdf:type"

SCALES = {
    "M": dict(roots=40, groups=400, skills=14_000, roles=3_000, skills_per_role=40,
              prerequisites=20_000, postings=0),
    "L": dict(roots=40, groups=400, skills=14_000, roles=3_000, skills_per_role=40,
              prerequisites=20_000, postings=100_000),
    # a tiny scale for the generator's own tests
    "T": dict(roots=5, groups=20, skills=400, roles=30, skills_per_role=10,
              prerequisites=300, postings=200),
}

_WORDS = ("data", "cloud", "mobile", "web", "secure", "distributed", "embedded", "realtime", "graph",
          "stream", "batch", "native", "async", "reactive", "functional", "visual", "test", "build")
_NOUNS = ("design", "testing", "tuning", "modelling", "pipelines", "frameworks", "APIs", "storage",
          "rendering", "networking", "profiling", "deployment", "analytics", "security", "runtime")


class Writer:
    """Writes the same triples as N-Triples and as Turtle (CURIEs, one statement a line)."""

    def __init__(self, folder: Path, name: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.nt = (folder / f"{name}.nt").open("w", encoding="utf-8")
        self.ttl = (folder / f"{name}.ttl").open("w", encoding="utf-8")
        for prefix, ns in PREFIXES.items():
            self.ttl.write(f"@prefix {prefix}: <{ns}> .\n")
        self.count = 0

    @staticmethod
    def _full(term: str) -> str:
        if term.startswith(('"', "<")):
            return term
        prefix, local = term.split(":", 1)
        return f"<{PREFIXES[prefix]}{local}>"

    @staticmethod
    def _curie(term: str) -> str:
        if term.startswith('"') and "^^" in term:  # "1.5"^^<...#decimal> -> "1.5"^^xsd:decimal
            value, datatype = term.rsplit("^^", 1)
            return f"{value}^^{datatype}"
        return "a" if term == A else term

    def triple(self, s: str, p: str, o: str) -> None:
        self.nt.write(f"{self._full(s)} {self._full(p)} {self._full_literal(o)} .\n")
        self.ttl.write(f"{s} {self._curie(p)} {o} .\n")
        self.count += 1

    def _full_literal(self, o: str) -> str:
        if o.startswith('"') and "^^" in o:
            value, datatype = o.rsplit("^^", 1)
            return f"{value}^^{self._full(datatype)}"
        return self._full(o)

    def close(self) -> None:
        self.nt.close()
        self.ttl.close()


def text(value: str, lang: str = "en") -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}'


def decimal(value: float) -> str:
    return f'"{value:.1f}"^^xsd:decimal'


def zipf_sampler(rng: random.Random, n: int, exponent: float = 1.1):
    """Draw indexes 0..n-1 with probability proportional to 1/(rank+1)^exponent."""
    weights = [1.0 / (rank + 1) ** exponent for rank in range(n)]
    cumulative = list(accumulate(weights))
    total = cumulative[-1]

    def draw() -> int:
        return bisect.bisect_left(cumulative, rng.random() * total)

    return draw


def generate(scale: str, seed: int, out: Path) -> dict:
    """Write ``{scale}.nt`` and ``{scale}.ttl`` into ``out`` and return what was generated."""
    if scale == "S":
        from careergraph.graph import load

        kg = load()
        out.mkdir(parents=True, exist_ok=True)
        union = kg.graph
        from rdflib import Graph

        g = Graph()
        for t in union.triples((None, None, None)):
            g.add(t)
        g.serialize(out / "S.nt", format="nt", encoding="utf-8")
        g.serialize(out / "S.ttl", format="turtle", encoding="utf-8")
        return {"scale": "S", "triples": len(g)}

    p = SCALES[scale]
    rng = random.Random(seed)
    w = Writer(out, scale)

    # Seniority levels and categories.
    for rank, name in enumerate(("junior", "middle", "senior", "lead"), start=1):
        w.triple(f"level:{name}", A, "cg:SeniorityLevel")
        w.triple(f"level:{name}", "rdfs:label", text(name.title()))
        w.triple(f"level:{name}", "cg:levelRank", f'"{rank}"^^xsd:integer')

    # Skills: abstract roots (no hours), groups under roots, leaves under groups.
    n = p["skills"]
    roots = range(p["roots"])
    groups = range(p["roots"], p["roots"] + p["groups"])
    parent = {}
    for i in range(n):
        sid = f"skill:s{i:05d}"
        label = f"{rng.choice(_WORDS)} {rng.choice(_NOUNS)} {i}"
        w.triple(sid, A, "cg:Skill")
        w.triple(sid, "skos:prefLabel", text(label))
        if i in roots:
            w.triple(f"category:c{i:02d}", A, "cg:SkillCategory")
            w.triple(f"category:c{i:02d}", "rdfs:label", text(f"category {i}"))
            w.triple(sid, "cg:inCategory", f"category:c{i:02d}")
            continue  # abstract: learned through a narrower skill
        parent[i] = rng.choice(roots) if i in groups else rng.choice(groups)
        w.triple(sid, "skos:broader", f"skill:s{parent[i]:05d}")
        w.triple(sid, "cg:effortHours", decimal(round(rng.lognormvariate(3.0, 0.7), 1) + 2))

    # Prerequisites: a DAG by tiers. Every learnable skill gets a tier, 0 (basic) to 3
    # (advanced); a skill's prerequisites are skills of a lower tier, most of them under
    # the same root, so chains are at most four skills long, as in real curricula. Groups
    # are tier 0: some skills need "some X" first, an OR choice among X's narrower skills.
    def root_of(i):
        while i in parent:
            i = parent[i]
        return i

    learnable = list(range(p["roots"], n))
    tier = {i: 0 if i in groups else rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]
            for i in learnable}
    lower: dict[tuple, list[int]] = {}  # (root, tier) -> skills; (None, tier) -> all roots
    for i in learnable:
        for key in ((root_of(i), tier[i]), (None, tier[i])):
            lower.setdefault(key, []).append(i)
    sources = [i for i in learnable if tier[i] > 0]
    edges = set()
    while len(edges) < p["prerequisites"]:
        i = rng.choice(sources)
        t = rng.randrange(tier[i])
        if rng.random() < 0.08:
            pool = [g for g in lower.get((root_of(i), 0), ()) if g in groups] or lower[(None, 0)]
        else:
            pool = lower.get((root_of(i), t)) if rng.random() < 0.7 else None
            pool = pool or lower[(None, t)]
        j = rng.choice(pool)
        if j != i and parent.get(i) != j and (i, j) not in edges:
            edges.add((i, j))
    for i, j in sorted(edges):
        w.triple(f"skill:s{i:05d}", "cg:prerequisite", f"skill:s{j:05d}")

    # Popularity: a fixed random permutation of learnable skills, drawn by Zipf rank.
    popular = learnable[:]
    rng.shuffle(popular)
    draw = zipf_sampler(rng, len(popular))

    # Roles with ~40 skills each.
    for r in range(p["roles"]):
        rid = f"role:r{r:04d}"
        w.triple(rid, A, "cg:Role")
        w.triple(rid, "rdfs:label", text(f"{rng.choice(_WORDS)} engineer {r}"))
        needed = set()
        while len(needed) < p["skills_per_role"] + rng.randint(-8, 8):
            needed.add(popular[draw()])
        for s in sorted(needed):
            w.triple(rid, "cg:needsSkill", f"skill:s{s:05d}")

    # One person holding 20 popular skills.
    w.triple("person:bench", A, "cg:Person")
    w.triple("person:bench", "rdfs:label", text("Benchmark person"))
    held = set()
    while len(held) < 20:
        held.add(popular[draw()])
    for s in sorted(held):
        w.triple("person:bench", "cg:hasSkill", f"skill:s{s:05d}")

    # Postings (L).
    orgs = 5_000 if p["postings"] else 0
    for o in range(orgs):
        w.triple(f"org:o{o:04d}", A, "cg:Organization")
        w.triple(f"org:o{o:04d}", "rdfs:label", text(f"Company {o}"))
    levels = ("junior", "middle", "senior", "lead")
    for k in range(p["postings"]):
        pid = f"posting:p{k:06d}"
        w.triple(pid, A, "cg:JobPosting")
        title = f"{rng.choice(_WORDS)} developer"
        w.triple(pid, "schema:title", text(title))
        w.triple(pid, "rdfs:label", text(f"{title} {k}"))
        w.triple(pid, "schema:url", f"<https://jobs.example.org/{k}>")
        w.triple(pid, "schema:hiringOrganization", f"org:o{rng.randrange(orgs):04d}")
        w.triple(pid, "cg:seniority", f"level:{rng.choice(levels)}")
        required = set()
        while len(required) < rng.randint(8, 15):
            required.add(popular[draw()])
        optional = set()
        for _ in range(rng.randint(0, 3)):
            s = popular[draw()]
            if s not in required:
                optional.add(s)
        for s in sorted(required):
            w.triple(pid, "cg:requiresSkill", f"skill:s{s:05d}")
        for s in sorted(optional):
            w.triple(pid, "cg:prefersSkill", f"skill:s{s:05d}")
    w.close()
    return {"scale": scale, "triples": w.count, "skills": n, "roles": p["roles"],
            "prerequisites": len(edges), "postings": p["postings"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["S", "M", "L", "T"], default="M")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args(argv)
    info = generate(args.scale, args.seed, args.out)
    print(", ".join(f"{k}={v}" for k, v in info.items()), f"-> {args.out}/{args.scale}.nt, .ttl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
