"""Skills in demand: how many postings require each, their co-occurrence centrality and clusters.

The co-occurrence graph has a node per skill some posting requires and an
edge between two skills required by the same posting, weighted by the number
of such postings. Up to :data:`INDEX_THRESHOLD` postings everything is
computed as it always was: per posting, with betweenness and Louvain on the
whole graph. Above it, 100,000 postings make millions of edges (exact
betweenness would run for hours; the old per-posting code did not finish
within 15 minutes on the L benchmark), so:

* the counts come from the compiled index
  (:func:`careergraph.graph.index.compiled_index`) and, for preferences, from
  a postings x skills matrix built in one pass over ``cg:prefersSkill`` and
  cached beside the index (``index/demand.npz`` in a workspace, keyed like it);
* centrality and clusters are computed on the co-occurrence graph of the
  *listed* skills only when they are at most :data:`LISTED_CENTRALITY_MAX`
  (``--limit``), else skipped; :attr:`Demand.centrality` says which;
* each skill lists its first :data:`SHOWN_POSTINGS` postings, not all.

Measured on the L benchmark workspace (100k postings, 14k skills) on a busy
2-core machine: with the index in memory, ``demand(kg, limit=20)`` takes
60-110 ms (10-15 ms with ``centrality="none"``); the first call in a process
adds about 0.5 s (reading the cache, importing networkx); building the cache
once takes about 10 s.

:func:`asked_counts` answers the named query ``skills-in-several-postings``
from the same matrices (and the hierarchy, read from the store) where they
hold exactly what the query counts: at L, 2.5 s for the whole command with
``narrower=true``, where the query took 56 s.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np
from rdflib import URIRef

from careergraph.ontology import CG

from .convert import requirements
from .errors import CareerGraphError, UsageError
from .plans import Demand, Ref, SkillDemand

__all__ = ["demand", "asked_counts", "INDEX_THRESHOLD", "LISTED_CENTRALITY_MAX", "SHOWN_POSTINGS", "CENTRALITY"]

#: Above this many postings the counts come from the compiled index (as ``next`` does).
INDEX_THRESHOLD = 500
#: Above the threshold, centrality is computed on the listed skills only while they are at most this many.
LISTED_CENTRALITY_MAX = 100
#: Above the threshold, each skill lists at most this many postings (by IRI) unless asked otherwise.
SHOWN_POSTINGS = 5
#: The ``centrality`` options: ``"auto"``, and the methods a result reports.
CENTRALITY = ("auto", "full", "listed", "none")


def demand(kg, *, seed: int = 0, limit: int | None = None, centrality: str = "auto",
           show_postings: int | None | str = "auto") -> Demand:
    """Skills ranked by how many postings require them, with centrality and clusters.

    ``betweenness`` is ``networkx.betweenness_centrality`` on the
    co-occurrence graph (unweighted, normalised); communities are
    ``networkx.community.louvain_communities(weight="weight", seed=seed)``,
    numbered by size (largest first), then by first CURIE. Skills only
    preferred (``cg:prefersSkill``) are listed with no community. Rows sort
    by postings requiring (most first), betweenness, then CURIE.

    Parameters
    ----------
    kg : KnowledgeGraph
    seed : int
        Louvain's random seed (the answer is the same for the same seed).
    limit : int, optional
        Return only the first ``limit`` rows; :attr:`Demand.total` still
        counts every skill in demand.
    centrality : {"auto", "full", "listed", "none"}
        ``"full"``: on the whole co-occurrence graph (hours at 100k
        postings). ``"listed"``: on the co-occurrence graph of the listed
        skills only; which skills are listed is then decided by postings and
        CURIE, and betweenness orders ties among them. ``"none"``: skipped
        (betweenness and community are None). ``"auto"`` (default):
        ``"full"`` up to :data:`INDEX_THRESHOLD` postings; above it
        ``"listed"`` while the listed skills are at most
        :data:`LISTED_CENTRALITY_MAX`, else ``"none"``.
    show_postings : int, None or "auto"
        How many of the postings that require (and prefer) each skill to
        list, first by IRI; the counts are always complete. None lists them
        all; ``"auto"``: all up to :data:`INDEX_THRESHOLD` postings, else
        :data:`SHOWN_POSTINGS`.

    Returns
    -------
    Demand
        With ``centrality`` set to the method used (never ``"auto"``).

    Raises
    ------
    UsageError
        An unknown ``centrality``, a ``limit`` below 1 or a negative ``show_postings``.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> d = demand(load(), limit=1)
    >>> d.skills[0].skill.curie, d.skills[0].required, d.total > 1, d.centrality
    ('skill:flutter', 4, True, 'full')
    """
    if centrality not in CENTRALITY:
        raise UsageError(f"unknown centrality {centrality!r}; choose {', '.join(CENTRALITY)}")
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be at least 1, not {limit}")
    if show_postings != "auto" and show_postings is not None and show_postings < 0:
        raise UsageError(f"show_postings must be 0 or more, not {show_postings}")
    idx = None
    if kg.oxigraph is None and getattr(kg, "backend", "rdflib") == "rdflib":
        postings = kg.entities("posting")  # cheap in memory
        count = len(postings)
    else:  # counting postings in a store is a query; the index (cached in a workspace) knows them
        from .index import compiled_index

        idx = compiled_index(kg)
        count = len(idx.rows_of("posting"))
    large = count > INDEX_THRESHOLD
    if show_postings == "auto":
        show_postings = SHOWN_POSTINGS if large else None
    if large:
        if idx is None:
            from .index import compiled_index

            idx = compiled_index(kg)
        facts = _IndexFacts(kg, idx)
    else:
        facts = _PostingFacts(kg, postings if idx is None else kg.entities("posting"))
    return _demand(kg, facts, seed=seed, limit=limit, centrality=centrality, show=show_postings,
                   large=large)


def _demand(kg, facts, *, seed, limit, centrality, show, large) -> Demand:
    total = facts.total()
    shown = total if limit is None else min(limit, total)
    if centrality == "auto":
        centrality = "listed" if large and min(shown, facts.required_total()) <= LISTED_CENTRALITY_MAX else (
            "none" if large else "full")

    import networkx as nx

    between: dict = {}
    communities: list = []
    if centrality == "full":
        required = facts.required_counts()
        co = _cooccurrence(facts.requirement_lists())
        between = nx.betweenness_centrality(co) if len(co) else {}
        communities = _communities(kg, co, seed)
        order = sorted(required, key=lambda s: (-required[s], -between.get(s, 0.0), kg.curie(s)))
        listed = order[:shown]
        if len(listed) < shown:
            listed += facts.only_preferred()[:shown - len(listed)]
    else:
        listed = facts.first(shown)
        required = facts.counts_of(listed)
        if centrality == "listed":
            chosen = [s for s in listed if required.get(s)]
            co = _weighted_graph(chosen, facts.pair_counts(chosen))
            between = nx.betweenness_centrality(co) if len(co) else {}
            communities = _communities(kg, co, seed)
            listed.sort(key=lambda s: (-required.get(s, 0), -between.get(s, 0.0), kg.curie(s)))
    community = {s: i for i, c in enumerate(communities) for s in c}
    required_by, preferred_by = facts.postings_of(listed, show)
    rows = []
    for s in listed:
        req, pref = required_by.get(s, (0, [])), preferred_by.get(s, (0, []))
        rows.append(SkillDemand(
            Ref.of(kg, s),
            tuple(Ref.of(kg, p) for p in req[1]),
            tuple(Ref.of(kg, p) for p in pref[1]),
            None if centrality == "none" else between.get(s, 0.0),
            community.get(s),
            required=req[0],
            preferred=pref[0],
        ))
    return Demand(tuple(rows), tuple(tuple(Ref.of(kg, s) for s in c) for c in communities),
                  facts.postings, total=total, centrality=centrality, shown_postings=show)


def _first(kg, keys, counts, n: int) -> list:
    """Positions of the ``n`` largest nonzero ``counts``, ties by the CURIE of ``keys[i]``, without sorting all."""
    counts = np.asarray(counts)
    nonzero = np.flatnonzero(counts)
    if n <= 0 or not len(nonzero):
        return []
    if n < len(nonzero):
        cut = np.partition(counts[nonzero], len(nonzero) - n)[len(nonzero) - n]  # the n-th largest
        pool = nonzero[counts[nonzero] >= cut]
    else:
        pool = nonzero
    return sorted(pool.tolist(), key=lambda i: (-counts[i], kg.curie(keys[i])))[:n]


def _cooccurrence(lists):
    """The co-occurrence graph of per-posting sorted requirement lists, built in posting order.

    Louvain's result depends on the order nodes and edges are added, so both
    the per-posting and the index path feed the lists in posting IRI order.
    """
    import networkx as nx

    co = nx.Graph()
    for ordered in lists:
        co.add_nodes_from(ordered)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                weight = co[a][b]["weight"] + 1 if co.has_edge(a, b) else 1
                co.add_edge(a, b, weight=weight)
    return co


def _weighted_graph(skills: list, pairs):
    """The co-occurrence graph of ``skills`` alone: nodes in the given order, then the edges
    ``(i, j, postings requiring both)`` for ``i < j`` in row order (both paths build it alike)."""
    import networkx as nx

    co = nx.Graph()
    co.add_nodes_from(skills)
    co.add_weighted_edges_from((skills[i], skills[j], w) for i, j, w in sorted(pairs))
    return co


def _communities(kg, co, seed) -> list:
    import networkx as nx

    found = nx.community.louvain_communities(co, weight="weight", seed=seed) if len(co) else []
    return sorted((sorted(c, key=kg.curie) for c in found), key=lambda c: (-len(c), kg.curie(c[0])))


class _PostingFacts:
    """Requirements read posting by posting (:func:`~careergraph.graph.convert.requirements`)."""

    def __init__(self, kg, postings):
        self.kg = kg
        self.postings = len(postings)
        self._required: dict = {}
        self._preferred: dict = {}
        self._lists = []
        for p in postings:
            essential, optional = requirements(kg, p)
            for s in essential:
                self._required.setdefault(s, []).append(p)
            for s in optional:
                self._preferred.setdefault(s, []).append(p)
            self._lists.append(essential)
        self._only = sorted(set(self._preferred) - set(self._required), key=kg.curie)

    def total(self) -> int:
        return len(self._required) + len(self._only)

    def required_total(self) -> int:
        return len(self._required)

    def required_counts(self) -> dict:
        return {s: len(ps) for s, ps in self._required.items()}

    def only_preferred(self) -> list:
        return list(self._only)

    def first(self, n: int) -> list:
        keys = list(self._required)
        listed = [keys[i] for i in _first(self.kg, keys, [len(self._required[k]) for k in keys], n)]
        return listed + self._only[:n - len(listed)]

    def counts_of(self, skills) -> dict:
        return {s: len(self._required[s]) for s in skills if s in self._required}

    def requirement_lists(self):
        return self._lists

    def pair_counts(self, skills) -> list:
        sets = [set(self._required[s]) for s in skills]
        return [(i, j, w) for i in range(len(skills)) for j in range(i + 1, len(skills))
                if (w := len(sets[i] & sets[j]))]

    def postings_of(self, skills, show) -> tuple[dict, dict]:
        def first(ps):
            return (len(ps), ps if show is None else ps[:show])

        return ({s: first(self._required[s]) for s in skills if s in self._required},
                {s: first(self._preferred[s]) for s in skills if s in self._preferred})


class _IndexFacts:
    """Requirements from the compiled index, preferences from the store, both by skill (:func:`_by_skill`)."""

    def __init__(self, kg, idx):
        self.kg, self.idx = kg, idx
        self.rows = idx.rows_of("posting")
        self.postings = len(self.rows)
        self.req, self.pref, self.extra = _by_skill(kg, idx)
        self.counts = self.req.counts
        self.pref_counts = self.pref.counts
        n = len(idx.skills)
        only = np.flatnonzero(self.pref_counts)
        self._only = only[(only >= n) | (self.counts[np.minimum(only, n - 1)] == 0)] if n else only
        self._only_sorted = None

    def _key(self, i) -> str:
        n = len(self.idx.skills)
        return self.idx.skills[i] if i < n else self.extra[i - n]

    def _position(self, skill) -> int | None:
        i = self.idx.skill_position(skill)
        if i is None and str(skill) in self.extra:
            i = len(self.idx.skills) + self.extra.index(str(skill))
        return i

    def total(self) -> int:
        return self.required_total() + len(self._only)

    def required_total(self) -> int:
        return int(np.count_nonzero(self.counts))

    def required_counts(self) -> dict:
        return {URIRef(self.idx.skills[i]): int(self.counts[i]) for i in np.flatnonzero(self.counts)}

    def only_preferred(self) -> list:
        if self._only_sorted is None:
            self._only_sorted = sorted((URIRef(self._key(i)) for i in self._only), key=self.kg.curie)
        return list(self._only_sorted)

    def first(self, n: int) -> list:
        listed = [URIRef(self.idx.skills[i]) for i in _first(self.kg, self.idx.skills, self.counts, n)]
        return listed + (self.only_preferred()[:n - len(listed)] if len(listed) < n else [])

    def counts_of(self, skills) -> dict:
        out = {}
        for s in skills:
            i = self.idx.skill_position(s)
            if i is not None and self.counts[i]:
                out[s] = int(self.counts[i])
        return out

    def requirement_lists(self):
        m, skills = self.req.scipy().tocsr(), self.idx.skills
        m.sort_indices()
        for i in range(m.shape[0]):
            yield [URIRef(skills[j]) for j in m.indices[m.indptr[i]:m.indptr[i + 1]]]

    def pair_counts(self, skills) -> list:
        """``(i, j, postings requiring both)`` for ``i < j``, from the skills' columns."""
        cols = [self.idx.skill_position(s) for s in skills]
        if len(cols) > _BITS_MAX:
            sub = self.req.scipy()[:, cols]
            both = (sub.T @ sub).tocoo()
            upper = both.row < both.col
            return list(zip(both.row[upper].tolist(), both.col[upper].tolist(),
                            both.data[upper].astype(np.int64).tolist()))
        # each posting's set of these skills as bits; identical sets counted once (numpy only, no scipy)
        words = np.zeros(self.req.shape[0], dtype=np.uint64)
        for j, c in enumerate(cols):
            words[self.req.column(c)] |= np.uint64(1 << j)
        words = words[words != 0]
        sets, times = np.unique(words, return_counts=True)
        bits = ((sets[:, None] >> np.arange(len(cols), dtype=np.uint64)) & np.uint64(1)).astype(np.int64)
        # integer products row by row: float BLAS threads stalled on a busy machine (1 s), a whole
        # integer matmul took 80 ms, this 20 ms (top 20 skills of the L benchmark)
        both = np.zeros((len(cols), len(cols)), dtype=np.int64)
        for a in range(len(cols)):
            has = bits[:, a] == 1
            both[a] = times[has] @ bits[has]
        i, j = np.nonzero(np.triu(both, 1))
        return list(zip(i.tolist(), j.tolist(), both[i, j].tolist()))

    def postings_of(self, skills, show) -> tuple[dict, dict]:
        return self._columns(self.req, skills, show), self._columns(self.pref, skills, show)

    def _columns(self, m, skills, show) -> dict:
        """``{skill: (postings in its column, the first show of them)}`` for skills with any."""
        out = {}
        for s in skills:
            i = self._position(s)
            if i is None or i >= m.shape[1] or m.indptr[i] == m.indptr[i + 1]:
                continue
            rows = m.column(i)  # sorted: rows follow posting IRIs
            shown = rows if show is None else rows[:show]
            out[s] = (len(rows), [URIRef(self.idx.targets[self.rows[r]]) for r in shown])
        return out


# -- by skill, beside the index ------------------------------------------------------------------

#: The file, in a workspace's index folder, that caches :func:`_by_skill`.
BY_SKILL_FILE = "demand.npz"
_BY_SKILL: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _by_skill(kg, idx):
    """``(required, preferred, extra)``: postings x skills, column by column (CSC), rows as
    ``idx.rows_of("posting")``. ``required`` is the index's ``requires``; ``preferred`` is true
    where the posting prefers the skill (``cg:prefersSkill``) and does not require it, its
    columns past the index's skills being the ``extra`` skills only preferences name.

    Built once (one pass over ``cg:prefersSkill`` in the store), kept in memory with the index
    and saved in the workspace's index folder under the index's key.
    """
    cached = _BY_SKILL.get(idx)
    if cached is not None:
        return cached
    folder = getattr(kg, "index_folder", None)
    from .index import FORMAT

    key = f"{FORMAT}|{idx.key}|{len(idx.targets)}|{len(idx.skills)}"
    found = _load_by_skill(Path(folder), key) if folder is not None and idx.key else None
    if found is None:
        found = _build_by_skill(kg, idx)
        if folder is not None and idx.key:
            _save_by_skill(Path(folder), key, *found)
    _BY_SKILL[idx] = found
    return found


def _preference_pairs(kg):
    """Every ``(subject IRI, skill IRI)`` of ``cg:prefersSkill`` with an IRI object, as strings."""
    store = kg.oxigraph
    if store is not None:
        import pyoxigraph as ox

        for row in store.query(f"SELECT ?p ?s WHERE {{ ?p <{CG.prefersSkill}> ?s }}",
                               use_default_graph_as_union=True):
            if isinstance(row[1], ox.NamedNode):
                yield row[0].value, row[1].value
    else:
        for p, s in kg.graph.subject_objects(CG.prefersSkill):
            if isinstance(s, URIRef):
                yield str(p), str(s)


def _build_by_skill(kg, idx):
    import scipy.sparse as sp

    posting_rows = idx.rows_of("posting")
    row_of = {idx.targets[r]: k for k, r in enumerate(posting_rows)}
    n = len(idx.skills)
    extra: dict = {}
    rr, cc = [], []
    for p, s in _preference_pairs(kg):
        r = row_of.get(p)
        if r is None:  # not a posting
            continue
        c = idx.skill_position(s)
        if c is None:
            c = n + extra.setdefault(s, len(extra))
        rr.append(r)
        cc.append(c)
    shape = (len(posting_rows), n + len(extra))
    pref = sp.csr_matrix((np.ones(len(rr)), (rr, cc)), shape=shape)
    pref.sum_duplicates()
    pref.data[:] = 1.0
    required = idx.requires[posting_rows]
    padded = sp.hstack([required, sp.csr_matrix((shape[0], len(extra)))]).tocsr() if extra else required
    pref = pref - pref.multiply(padded)
    pref.eliminate_zeros()
    return _binary_csc(required), _binary_csc(pref), list(extra)


class _Columns:
    """A 0/1 matrix by column (CSC ``indptr``/``indices``), read without importing scipy."""

    def __init__(self, indptr, indices, shape):
        self.indptr, self.indices, self.shape = indptr, indices, tuple(int(n) for n in shape)
        self.counts = np.diff(indptr)

    def column(self, i) -> np.ndarray:
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def scipy(self):
        import scipy.sparse as sp

        return sp.csc_matrix((np.ones(len(self.indices)), self.indices, self.indptr), shape=self.shape)


#: Above this many listed skills (one 64-bit word per posting), pair counts are a scipy sparse product.
_BITS_MAX = 64


def _binary_csc(m) -> _Columns:
    m = m.tocsc()
    m.sum_duplicates()
    m.sort_indices()
    return _Columns(m.indptr, m.indices, m.shape)


def _save_by_skill(folder: Path, key: str, required, preferred, extra) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (BY_SKILL_FILE + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, key=np.array(key), extra=np.array(extra, dtype=str),
                     **{f"{name}_{part}": value for name, m in (("required", required), ("preferred", preferred))
                        for part, value in (("indptr", m.indptr), ("indices", m.indices),
                                            ("shape", np.array(m.shape)))})
        tmp.replace(folder / BY_SKILL_FILE)
    except OSError as err:
        raise CareerGraphError(f"{folder}: cannot save the demand cache: {err}") from err


def _load_by_skill(folder: Path, key: str):
    try:
        with np.load(folder / BY_SKILL_FILE, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            matrices = []
            for name in ("required", "preferred"):
                indices = data[f"{name}_indices"]
                matrices.append(_Columns(data[f"{name}_indptr"], indices, data[f"{name}_shape"]))
            return (*matrices, [str(x) for x in data["extra"]])
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged: rebuilt


# -- postings asking for each skill, for the named query skills-in-several-postings ------------

#: The file, in a workspace's index folder, that records whether the index answers
#: :func:`asked_counts` exactly for the data it was built from (checked once per index key).
ASKED_FILE = "asked.json"

# What the index leaves out and the query counts: a posting's cg:needsSkill (the index takes it
# for a requirement), objects of cg:requiresSkill or cg:prefersSkill that are not IRIs (the
# index keeps IRIs only) and postings that are blank nodes (the index lists IRIs only).
_INEXACT = {  # each subject of cg:needsSkill once (a role names many skills): 0.3 s at L, not 1 s
    "needs": f"ASK {{ {{ SELECT DISTINCT ?p WHERE {{ ?p <{CG.needsSkill}> ?s }} }} ?p a <{CG.JobPosting}> }}",
    # each object tested once, grouped (Oxigraph reads a term's text to test it: at L, 0.8 s
    # where a FILTER on each of the million requirements took 4.8 s)
    "literal skill": (f"ASK {{ {{ SELECT ?s WHERE {{ {{ ?p <{CG.requiresSkill}> ?s }} UNION "
                      f"{{ ?p <{CG.prefersSkill}> ?s }} }} GROUP BY ?s HAVING(!isIRI(?s)) }} }}"),
    "blank posting": f"ASK {{ ?p a <{CG.JobPosting}> FILTER(!isIRI(?p)) }}",
}


def asked_counts(kg, *, narrower: bool = False):
    """How many postings ask for each skill (require or prefer it), from a workspace's saved index.

    The answer of the named query ``skills-in-several-postings`` before its
    ``HAVING`` and ``ORDER BY``: for each skill, the number of distinct
    ``cg:JobPosting`` that require or prefer it (with ``narrower``, or a
    skill narrower than it, through ``skos:broader`` transitively). The
    postings' requirements come from the compiled index and their
    preferences from the cache beside it (:func:`_by_skill`); the hierarchy
    is read from the store (a few thousand triples).

    Returns
    -------
    tuple (list of str, numpy.ndarray) or None
        The skills' IRIs and their counts (zero for skills no posting asks
        for), or None when the index cannot answer exactly: ``kg`` is not a
        workspace's graph, no index is saved for its data (it is built here
        only for ``narrower``: without it the query is faster than a build),
        or the data holds what the
        index leaves out (a posting's ``cg:needsSkill``, a skill that is not
        an IRI, a posting that is a blank node; checked once per index key
        and recorded in :data:`ASKED_FILE`), or the hierarchy names a
        blank node or a literal.
    """
    folder = getattr(kg, "index_folder", None)
    store = getattr(kg, "oxigraph", None)
    if folder is None or store is None or not hasattr(kg, "index_key"):
        return None
    from .index import load_index

    idx = load_index(folder, kg.index_key())
    if idx is None and narrower:
        # built (and saved) here: the query evaluates skos:broader+ for every posting's every
        # requirement (56 s at L), a build takes about 6 s and serves every later question
        from .index import compiled_index

        idx = compiled_index(kg)
    if idx is None or not _index_is_exact(store, Path(folder), idx.key):
        return None
    req, pref, extra = _by_skill(kg, idx)
    names = list(idx.skills) + extra
    n = len(names)
    if not narrower:
        counts = np.zeros(n, dtype=np.int64)
        counts[:req.shape[1]] += req.counts
        counts[:pref.shape[1]] += pref.counts  # preferred and not required: disjoint from req
        return names, counts
    pairs = _hierarchy(store)
    if pairs is None:
        return None
    import scipy.sparse as sp

    position = dict(zip(names, range(n)))
    for a, b in pairs:
        for node in (a, b):
            if node not in position:
                position[node] = len(names)
                names.append(node)
    size = len(names)
    up = sp.csr_matrix((np.ones(len(pairs)), ([position[a] for a, _ in pairs], [position[b] for _, b in pairs])),
                       shape=(size, size))
    reach = _reflexive_closure(sp, up)
    asked = sp.hstack([req.scipy(), sp.csc_matrix((req.shape[0], size - req.shape[1]))]).tocsr() \
        + sp.hstack([pref.scipy(), sp.csc_matrix((pref.shape[0], size - pref.shape[1]))]).tocsr()
    met = (asked @ reach).tocsr()
    met.sum_duplicates()
    return names, np.bincount(met.indices[met.data > 0], minlength=size).astype(np.int64)


def _reflexive_closure(sp, edges):
    """Row ``i``: ``i`` and every node a path of ``edges`` (square, CSR) leads to from it, as 0/1."""
    reach = (sp.identity(edges.shape[0], format="csr") + edges).tocsr()
    reach.data[:] = 1.0
    while True:  # squaring doubles the length of the paths counted
        more = (reach @ reach).tocsr()
        more.data[:] = 1.0
        if more.nnz == reach.nnz:
            return more
        reach = more


def _hierarchy(store):
    """Every ``(narrower, broader)`` pair of ``skos:broader`` as IRI strings, or None if one is not an IRI."""
    from rdflib.namespace import SKOS

    from .native import select_tsv

    lines = select_tsv(store, f"SELECT ?a ?b WHERE {{ ?a <{SKOS.broader}> ?b }}").decode("utf-8").split("\n")
    pairs = []
    for line in lines[1:]:
        if not line:
            continue
        a, b = line.split("\t")
        if not (a[:1] == "<" and a[-1:] == ">" and b[:1] == "<" and b[-1:] == ">"):
            return None
        pairs.append((a[1:-1], b[1:-1]))
    return pairs


def _index_is_exact(store, folder: Path, key: str) -> bool:
    """Whether the data holds nothing that the index leaves out and the query counts (see
    :data:`_INEXACT`); asked once per index key (about 1.5 s of Oxigraph time at L), then read
    from :data:`ASKED_FILE`."""
    import json
    import os

    from .index import FORMAT

    stamp = f"{FORMAT}|{key}"
    path = folder / ASKED_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("key") == stamp:
            return saved.get("exact") is True
    except (OSError, ValueError, AttributeError):
        pass
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(_INEXACT)) as pool:  # Oxigraph answers them at once, without the GIL
        answers = list(pool.map(lambda ask: bool(store.query(ask, use_default_graph_as_union=True)),
                                _INEXACT.values()))
    found = [what for what, yes in zip(_INEXACT, answers) if yes]
    tmp = folder / f"{ASKED_FILE}.{os.getpid()}.tmp"  # readers of one workspace may write it at once
    try:
        tmp.write_text(json.dumps({"key": stamp, "exact": not found, "found": found}), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)  # not recorded (a read-only folder): asked again next time
    return not found
