"""The compiled index: postings, roles, requirements and prerequisite closures as sparse matrices.

Ranking 100,000 postings by the hours a person needs to reach each one is
too slow as SPARQL (seconds to minutes) and as one plan per posting (the
plan is an NP-hard search). The index turns it into two sparse
matrix-vector products plus a small dynamic programme over the OR choices.

What it holds, built once from a knowledge graph (:func:`build_index`) and
cached beside a workspace (:func:`load_index` / :meth:`CompiledIndex.save`),
with one row per *target* (every posting and every role):

* ``requires``: targets x skills, the essential requirements;
* ``fixed``: targets x skills, the *forced closure* of each target: its
  requirements and, transitively, their prerequisites (``SkillModel.needs``),
  following only skills that can be met in one way (a single option, see
  ``SkillModel.options``). Every one of them that the person does not know
  must be learned by every plan;
* ``frontier``: targets x skills, the OR choices where that closure stops:
  broad skills met by learning any one of several narrower skills (minus
  those a skill of the forced closure already meets, being narrower);
* each skill's forced closure and frontier (``skill_fixed``,
  ``skill_frontier``), what holding it makes known (``closure``), a table of every
  choice's options with each option's closure and frontier
  (``option_fixed``, ``option_frontier``), to price the choices.

For a person who knows the set ``K`` (closed under broader skills and
prerequisites, as :meth:`SkillModel.closure` makes it), :meth:`CompiledIndex.bounds`
gives each target

* a **lower bound**: the hours of the forced closure outside ``K``. Because
  ``K`` is closed under prerequisites, masking the known columns is exactly
  "stop at what the person knows";
* an **upper bound**: the lower bound plus, for every unknown choice on the
  frontier, the cheapest option learned on its own (its hours plus its own
  unmet closure, nested choices priced the same way, dependencies first).
  Learning all of that meets every requirement, so some plan costs at most
  this much.

Where the two are equal (no unknown choice is left) the bound *is* the
optimum that :func:`careergraph.graph.paths.solve` finds. Otherwise
:func:`careergraph.graph.ranking.rank` plans the few postings whose lower
bound could still put them in the top rows, exactly (a threshold
algorithm), and reports the rest as approximate with both bounds.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rdflib import URIRef

from careergraph.ontology import CG

from .convert import skill_model
from .errors import CareerGraphError

__all__ = ["FORMAT", "CompiledIndex", "Bounds", "build_index", "compiled_index", "load_index",
           "INDEX_FOLDER", "index_from"]

#: The version of the on-disk layout; an index of another version is rebuilt.
FORMAT = 2

#: The folder, inside a workspace, that holds the cached index.
INDEX_FOLDER = "index"

_MATRICES = ("requires", "fixed", "frontier", "skill_fixed", "skill_frontier", "closure", "option_fixed",
             "option_frontier")
_OPTION_ARRAYS = ("choice", "starts", "segment", "row", "fr_entry", "fr_skill")


def _sparse():
    import scipy.sparse as sp

    return sp


@dataclass(frozen=True)
class Bounds:
    """Per target, for one person: what :meth:`CompiledIndex.bounds` computed.

    Arrays are indexed like :attr:`CompiledIndex.targets`. ``lower`` and
    ``upper`` are hours (``inf`` in ``upper`` when a choice cannot be met);
    ``exact`` marks the targets where they are equal; ``met`` counts the
    essential requirements the person meets and ``required`` all of them.
    """

    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    met: np.ndarray
    required: np.ndarray

    @property
    def coverage(self) -> np.ndarray:
        """Percentage of essential requirements met (100 for a target with none)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.required > 0, 100.0 * self.met / np.maximum(self.required, 1), 100.0)


@dataclass(eq=False)
class CompiledIndex:
    """Postings, skills and their closures as sparse matrices (see the module's notes).

    ``skills`` and ``targets`` are IRIs as strings, sorted; columns and
    rows follow them. ``kinds`` gives each target's kind (``"posting"`` or
    ``"role"``). ``hours`` and ``weight`` are per skill: the effort
    hours of a skill learned as itself (0 for a choice or an unpriced skill)
    and what the engine minimises (:data:`~careergraph.graph.convert.UNPRICED_WEIGHT`
    for an unpriced skill; a choice's own hours count only when it is
    learned as itself). ``options`` is the flat table of every choice's
    options (see :func:`_option_table`); ``option_fixed`` and
    ``option_frontier`` are their closures, one row per option.
    """

    skills: list
    targets: list
    kinds: list
    hours: np.ndarray
    weight: np.ndarray
    requires: object
    fixed: object
    frontier: object
    skill_fixed: object
    skill_frontier: object
    closure: object
    option_fixed: object
    option_frontier: object
    options: dict
    cyclic: np.ndarray | None = None
    key: str = ""

    def __post_init__(self):
        self._skill_pos = None
        self._target_pos = None
        self._posting_rows = None
        self.required = np.diff(self.requires.indptr).astype(np.int64)
        if self.cyclic is None:
            self.cyclic = np.zeros(len(self.skills), dtype=bool)
        self._demand = None
        self._rows: dict = {}
        self._columns = None

    def __repr__(self):
        return (f"<CompiledIndex {len(self.targets)} targets x {len(self.skills)} skills, "
                f"{self.fixed.nnz} closure entries>")

    # -- positions ---------------------------------------------------------------
    def skill_position(self, skill) -> int | None:
        if self._skill_pos is None:
            self._skill_pos = {s: i for i, s in enumerate(self.skills)}
        return self._skill_pos.get(str(skill))

    def target_position(self, target) -> int | None:
        if self._target_pos is None:
            self._target_pos = {p: i for i, p in enumerate(self.targets)}
        return self._target_pos.get(str(target))

    def rows_of(self, kind: str) -> np.ndarray:
        """The row numbers of the targets of one kind (``"posting"`` or ``"role"``), in IRI order."""
        found = self._rows.get(kind)
        if found is None:
            found = np.flatnonzero(np.asarray(self.kinds) == kind)
            found.setflags(write=False)
            self._rows[kind] = found
        return found

    def _by_column(self):
        """``fixed`` and ``requires`` by column, the forced hours of each target, the column sizes."""
        if self._columns is None:
            fixed, requires = self.fixed.tocsc(), self.requires.tocsc()
            self._columns = (fixed, requires, self.fixed @ self.hours, np.diff(fixed.indptr))
        return self._columns

    @property
    def postings(self) -> list:
        """The postings' IRIs (strings), sorted."""
        if self._posting_rows is None:
            self._posting_rows = self.rows_of("posting")
        return [self.targets[i] for i in self._posting_rows]

    def mask(self, skills) -> np.ndarray:
        """A boolean vector over :attr:`skills`, true for the given ones (unknown ones ignored)."""
        out = np.zeros(len(self.skills), dtype=bool)
        positions = [self.skill_position(s) for s in skills]
        out[[i for i in positions if i is not None]] = True
        return out

    # -- questions -----------------------------------------------------------------
    def demand(self) -> np.ndarray:
        """How many postings require each skill (essential requirements); computed once."""
        if self._demand is None:
            rows = self.rows_of("posting")
            if len(rows) and rows[-1] - rows[0] + 1 == len(rows):  # one block: IRIs sort by kind
                ptr = self.requires.indptr
                indices = self.requires.indices[ptr[rows[0]]:ptr[rows[-1] + 1]]
            else:
                indices = self.requires[rows].indices
            self._demand = np.bincount(indices, minlength=len(self.skills))
            self._demand.setflags(write=False)
        return self._demand

    def top_skills(self, n: int = 20) -> list[tuple[str, int]]:
        """The ``n`` skills most postings require, as ``(skill IRI, postings)``; ties by IRI.

        Examples
        --------
        >>> from careergraph.graph import load
        >>> idx = build_index(load())
        >>> idx.top_skills(1)
        [('https://w3id.org/careergraph/skill/flutter', 4)]
        """
        counts = self.demand()
        n = min(n, int(np.count_nonzero(counts)))
        if n <= 0:
            return []
        # skills are sorted by IRI, so a stable sort on -count breaks ties by IRI
        if n < len(counts) // 4:
            cut = np.partition(counts, len(counts) - n)[len(counts) - n]
            pool = np.flatnonzero(counts >= cut)
        else:
            pool = np.arange(len(counts))
        order = pool[np.argsort(-counts[pool], kind="stable")][:n]
        return [(self.skills[i], int(counts[i])) for i in order]

    def choice_costs(self, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(hours, weight)`` per skill: for each unknown choice, its cheapest option on its own.

        An option costs its own unmet closure plus, for every unknown choice
        that closure leads to, that choice's cost: the least solution of
        ``cost(c) = min over options o of (own(o) + sum of cost(d) for d on
        o's frontier)``, found by iterating from infinity (each round allows
        one more level of nested choices; it stops when nothing changes).
        The minimum is taken on the engine's weight (unpriced skills last);
        ``hours`` are the hours of the options so chosen. Zero for skills that
        are not choices and for known choices; ``inf`` where no option can
        be met.
        """
        t = self.options
        choice, starts, rows = t["choice"], t["starts"], t["row"]
        beta_h = np.zeros(len(self.skills))
        beta_w = np.zeros(len(self.skills))
        if len(choice) == 0:
            return beta_h, beta_w
        unknown = ~known
        own_h = (self.option_fixed @ (self.hours * unknown))[rows]
        own_w = (self.option_fixed @ (self.weight * unknown))[rows]
        stuck = self.cyclic & unknown
        if stuck.any():  # an option whose closure holds an unknown cycle cannot be learned
            blocked = (self.option_fixed @ stuck.astype(np.float64))[rows] > 0
            own_w = np.where(blocked, np.inf, own_w)
            own_h = np.where(blocked, np.inf, own_h)
        fr_entry, fr_skill = t["fr_entry"], t["fr_skill"]
        live = unknown[fr_skill]
        fr_entry, fr_skill = fr_entry[live], fr_skill[live]
        segment = t["segment"]
        todo = unknown[choice]
        beta_w[choice[todo]] = np.inf
        beta_h[choice[todo]] = np.inf
        entries = len(rows)
        for _ in range(len(choice) + 1):  # by weight: the least solution
            best_w = np.minimum.reduceat(own_w + _sums(fr_entry, beta_w[fr_skill], entries), starts)
            new_w = np.where(todo, best_w, 0.0)
            if np.array_equal(new_w, beta_w[choice]):
                break
            beta_w[choice] = new_w
        if np.array_equal(own_h, own_w) and np.array_equal(self.hours[choice], self.weight[choice]):
            beta_h[choice] = beta_w[choice]  # no unpriced skill anywhere: hours are the weights
            return beta_h, beta_w
        # the first option of least weight in each choice, then the hours along those options
        val_w = own_w + _sums(fr_entry, beta_w[fr_skill], entries)
        hit = np.flatnonzero(val_w <= beta_w[choice][segment])
        _, first = np.unique(segment[hit], return_index=True)
        chosen = np.full(len(choice), -1)
        chosen[segment[hit[first]]] = hit[first]
        solvable = todo & (chosen >= 0) & np.isfinite(beta_w[choice])
        for _ in range(len(choice) + 1):
            val_h = own_h + _sums(fr_entry, beta_h[fr_skill], entries)
            new_h = np.where(solvable, val_h[np.maximum(chosen, 0)], np.where(todo, np.inf, 0.0))
            if np.array_equal(new_h, beta_h[choice]):
                break
            beta_h[choice] = new_h
        return beta_h, beta_w

    def bounds(self, known, lacks=()) -> Bounds:
        """Lower and upper bounds on the hours to reach every target, for one person.

        Parameters
        ----------
        known : boolean array or iterable of skills
            What the person counts as knowing, closed under broader skills
            and prerequisites (:meth:`SkillModel.closure`).
        lacks : iterable of skills
            Skills the person says they lack (``cg:lacksSkill``). The closure
            does not imply them through prerequisites, so the forced closure
            below them is left out of the lower bound (kept in the upper).
        """
        if not isinstance(known, np.ndarray):
            known = self.mask(known)
        unknown = ~known
        vh = self.hours * unknown
        beta_h, _ = self.choice_costs(known)
        known_columns = np.flatnonzero(known)
        fixed_by_column, requires_by_column, all_forced, sizes = self._by_column()
        if sizes[known_columns].sum() * 3 < self.fixed.nnz:
            # few known skills: subtract their hours from each target's whole forced closure
            part = fixed_by_column[:, known_columns]
            forced = all_forced - np.bincount(part.indices, weights=np.repeat(
                self.hours[known_columns], np.diff(part.indptr)), minlength=len(self.targets))
            forced = np.round(forced, 6)
        else:
            forced = self.fixed @ vh
        lower = forced
        lacking = self.mask(lacks) & unknown
        if lacking.any():
            below = np.asarray(self.skill_fixed[np.flatnonzero(lacking)].sum(axis=0)).ravel() > 0
            lower = self.fixed @ (vh * ~below)
        upper = forced + self.frontier @ beta_h if self.frontier.nnz else forced
        stuck = self.cyclic & unknown
        if stuck.any():  # a forced closure holding an unknown cycle: no order of learning exists
            upper = np.where(self.fixed @ stuck.astype(np.float64) > 0, np.inf, upper)
        met = np.bincount(requires_by_column[:, known_columns].indices, minlength=len(self.targets))
        exact = np.isclose(lower, upper, rtol=0, atol=1e-6)
        return Bounds(np.round(lower, 6), np.round(upper, 6), exact, met, self.required)

    # -- storage -------------------------------------------------------------------
    def save(self, folder) -> Path:
        """Write the index into ``folder`` (two files, replaced atomically); returns the ``.npz`` path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"hours": self.hours, "weight": self.weight, "cyclic": self.cyclic}
        for name in _MATRICES:
            m = getattr(self, name)
            arrays[f"{name}_indptr"] = m.indptr
            arrays[f"{name}_indices"] = m.indices
            arrays[f"{name}_shape"] = np.array(m.shape)
        for k, v in self.options.items():
            arrays[f"options_{k}"] = v
        meta = {"format": FORMAT, "key": self.key,
                "skills": self.skills, "targets": self.targets, "kinds": self.kinds}
        npz, names = folder / "index.npz", folder / "index.json"
        tmp_npz, tmp_names = folder / "index.npz.tmp", folder / "index.json.tmp"
        with open(tmp_npz, "wb") as fh:
            np.savez(fh, **arrays)
        tmp_names.write_text(json.dumps(meta), encoding="utf-8")
        # the names file carries the key: written last, so a crash leaves a key that does not match
        names.unlink(missing_ok=True)
        tmp_npz.replace(npz)
        tmp_names.replace(names)
        return npz


def _binary(m):
    m.sum_duplicates()
    m.data = np.ones(len(m.indices), dtype=np.float64)
    return m


def load_index(folder, key: str) -> CompiledIndex | None:
    """The index saved in ``folder`` if it was built for ``key`` (and this format), else None."""
    sp = _sparse()
    folder = Path(folder)
    try:
        meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("key") != key:
            return None
        data = np.load(folder / "index.npz")
        matrices = {}
        for name in _MATRICES:
            indptr, indices = data[f"{name}_indptr"], data[f"{name}_indices"]
            matrices[name] = sp.csr_matrix((np.ones(len(indices)), indices, indptr),
                                           shape=tuple(data[f"{name}_shape"]))
        options = {k: data[f"options_{k}"] for k in _OPTION_ARRAYS}
        return CompiledIndex(meta["skills"], meta["targets"], meta["kinds"], data["hours"], data["weight"],
                             options=options, cyclic=data["cyclic"], key=key, **matrices)
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged: the caller rebuilds it


# -- building ------------------------------------------------------------------------

def _target_requirements(kg) -> tuple[dict, dict]:
    """``({target: [skills]}, {target: kind})`` for every posting and role, IRIs as strings.

    Essential requirements are ``cg:requiresSkill`` and ``cg:needsSkill``, as
    in :func:`~careergraph.graph.convert.requirements`; one pass per property.
    """
    kinds = {str(p): "posting" for p in kg.entities("posting")}
    kinds.update((str(r), "role") for r in kg.entities("role") if str(r) not in kinds)
    reqs: dict = {t: [] for t in kinds}
    store = getattr(kg, "oxigraph", None)
    for prop in (CG.requiresSkill, CG.needsSkill):
        if store is not None:
            import pyoxigraph as ox

            for quad in store.quads_for_pattern(None, ox.NamedNode(str(prop)), None, None):
                if isinstance(quad.object, ox.NamedNode) and quad.subject.value in reqs:
                    reqs[quad.subject.value].append(quad.object.value)
        else:
            for s, o in kg.graph.subject_objects(prop):
                if isinstance(o, URIRef) and str(s) in reqs:
                    reqs[str(s)].append(str(o))
    return reqs, kinds


def _closures(model, skills, pos, choice):
    """Per skill: its forced closure and its frontier of choices (position sets), and the cyclic skills.

    Inherited prerequisites can make "needs" cyclic (a needs b, b needs a);
    skills on such a cycle share one closure, and a plan can learn none of
    them unless one is known: they are returned in ``cyclic``.
    """
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(len(skills)))
    for i, s in enumerate(skills):
        if not choice[i]:
            g.add_edges_from((i, pos[str(n)]) for n in model.needs(s))
    dag = nx.condensation(g)
    fixed: dict = {}
    frontier: dict = {}
    cyclic: set = set()
    for c in reversed(list(nx.topological_sort(dag))):
        members = dag.nodes[c]["members"]
        f, fr = set(), set()
        for i in members:
            if choice[i]:
                fr.add(i)
            else:
                f.add(i)
        for d in dag.successors(c):
            for i in dag.nodes[d]["members"]:
                f |= fixed[i]
                fr |= frontier[i]
        if len(members) > 1:
            cyclic |= members
        f, fr = frozenset(f), frozenset(fr)
        for i in members:
            fixed[i], frontier[i] = f, fr
    return fixed, frontier, cyclic


def build_index(kg, *, key: str = "") -> CompiledIndex:
    """Compile ``kg``'s postings and skills into a :class:`CompiledIndex`.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> idx = build_index(load())
    >>> len(idx.postings), idx.requires.nnz > 0
    (5, True)
    """
    reqs, kinds = _target_requirements(kg)
    return index_from(skill_model(kg), reqs, kinds=kinds, key=key)


def index_from(model, requirements: dict, *, kinds: dict | None = None, key: str = "") -> CompiledIndex:
    """Compile a :class:`SkillModel` and ``{target: [essential skills]}`` into an index.

    Targets and skills may be IRIs or any strings (they are stored as
    strings); ``kinds`` maps a target to ``"posting"`` (the default) or ``"role"``.
    """
    sp = _sparse()
    reqs = {str(p): [str(s) for s in v] for p, v in requirements.items()}
    originals = {}
    for s in (*model.hours, *model.prerequisites, *model.broader, *model.narrower):
        originals[str(s)] = s
    for v in model.prerequisites.values():
        originals.update((str(p), p) for p in v)
    for v in requirements.values():
        originals.update((str(s), s) for s in v if str(s) not in originals)
    skills_str = sorted(set(originals) | {s for v in reqs.values() for s in v})
    pos = {s: i for i, s in enumerate(skills_str)}
    skills = [originals.get(s, s) for s in skills_str]
    n = len(skills)
    options = [model.options(s) for s in skills]
    choice = np.array([opts != (s,) for s, opts in zip(skills, options)], dtype=bool)
    # A choice's own hours count only in its "learn it as itself" option (never in a closure).
    hours = np.array([model.cost(s) for s in skills])
    weight = np.array([0.0 if choice[i] and not model.learnable(s) else model.weight(s)
                       for i, s in enumerate(skills)])

    fixed, frontier, cyclic = _closures(model, skills, pos, choice)
    cyclic_mask = np.zeros(n, dtype=bool)
    cyclic_mask[list(cyclic)] = True
    # A skill of a forced closure meets the broad skills above it for free, so a choice among
    # them needs no extra option; counted only for skills whose own closure needs no choice
    # (else learning it might itself wait for that choice: no order would exist).
    up = _rows(sp, [[pos[str(b)] for b in model.up(s) if b != s] if not frontier[i] and not choice[i]
                    else [] for i, s in enumerate(skills)], n, n)
    skill_fixed = _rows(sp, [sorted(fixed[i]) for i in range(n)], n, n)
    raw_frontier = _rows(sp, [sorted(frontier[i]) for i in range(n)], n, n)
    skill_frontier = _drop_met(sp, skill_fixed, raw_frontier, up)
    # what holding each skill makes known (broader skills, prerequisites, transitively)
    closure = _rows(sp, [sorted(pos[str(k)] for k in model.closure({s})) for s in skills], n, n)

    targets = sorted(reqs)
    kind_of = {str(k): v for k, v in (kinds or {}).items()}
    target_kinds = [kind_of.get(p, "posting") for p in targets]
    requires = _rows(sp, [sorted({pos[s] for s in reqs[p]}) for p in targets], len(targets), n)
    posting_fixed = _binary(requires @ skill_fixed)
    posting_frontier = _drop_met(sp, posting_fixed, _binary(requires @ raw_frontier), up)
    table, option_fixed, option_frontier = _option_table(
        sp, model, skills, pos, choice, options, fixed, frontier, up)
    return CompiledIndex(skills_str, targets, target_kinds, hours, weight, requires.tocsr(), posting_fixed.tocsr(),
                         posting_frontier.tocsr(), skill_fixed, skill_frontier, closure, option_fixed,
                         option_frontier, table,
                         cyclic=cyclic_mask, key=key)


def _option_table(sp, model, skills, pos, choice, options, fixed, frontier, up):
    """Every choice's options as flat arrays, and each option's closure (one row per option).

    An option is a narrower skill (its closure is the skill's own) or the
    broad skill itself when it has hours (its closure is the skill with the
    closures of its needs). ``fr_entry``/``fr_skill`` list the choices on
    each option's frontier.
    """
    n = len(skills)
    rows_fixed, rows_frontier = [], []
    choice_idx, starts, segment, row = [], [], [], []
    for c in np.flatnonzero(choice):
        starts.append(len(row))
        for o in options[c]:
            j = pos[str(o)]
            if j == c:  # the broad skill learned as itself
                f, fr = {c}, set()
                for need in model.needs(skills[c]):
                    k = pos[str(need)]
                    f |= fixed[k]
                    fr |= frontier[k]
            else:
                f, fr = fixed[j], frontier[j]
            row.append(len(rows_fixed))
            rows_fixed.append(sorted(f))
            rows_frontier.append(sorted(fr))
            segment.append(len(choice_idx))
        choice_idx.append(c)
    option_fixed = _rows(sp, rows_fixed, len(rows_fixed), n)
    option_frontier = _drop_met(sp, option_fixed, _rows(sp, rows_frontier, len(rows_frontier), n), up)
    fr_entry = np.repeat(np.arange(len(rows_fixed)), np.diff(option_frontier.indptr))
    table = {"choice": np.array(choice_idx, dtype=np.int64), "starts": np.array(starts, dtype=np.int64),
             "segment": np.array(segment, dtype=np.int64), "row": np.array(row, dtype=np.int64),
             "fr_entry": fr_entry.astype(np.int64), "fr_skill": option_frontier.indices.astype(np.int64)}
    return table, option_fixed, option_frontier


def _sums(entries, values, size):
    """Per entry, the sum of its values; ``inf`` values stay ``inf`` (bincount would give nan)."""
    finite = np.isfinite(values)
    out = np.bincount(entries[finite], weights=values[finite], minlength=size).astype(np.float64)
    if not finite.all():
        out[np.unique(entries[~finite])] = np.inf
    return out


def _rows(sp, rows, n_rows, n_cols):
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int32, count=int(indptr[-1]))
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n_rows, n_cols))


def _drop_met(sp, fixed, frontier, up):
    """``frontier`` without the choices a skill of ``fixed`` meets by being narrower."""
    met = _binary(fixed @ up)
    kept = frontier - frontier.multiply(met)
    kept.eliminate_zeros()
    return _binary(kept.tocsr())


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compiled_index(kg, *, folder=None, key: str | None = None) -> CompiledIndex:
    """The index of ``kg``: from memory, from ``folder`` when saved there for ``key``, or built.

    Parameters
    ----------
    kg : KnowledgeGraph
    folder : path, optional
        Where the index is cached on disk (a workspace keeps it in its
        ``index`` folder). It is rebuilt and saved when missing, damaged,
        or built for another ``key``.
    key : str, optional
        What identifies the graph's content (a workspace's generation). In
        memory, without a key, the index is kept while
        ``kg.content_key()`` is unchanged (a workspace's generation, or the
        graph's size), and a workspace's graph names its own ``index_folder``.
    """
    if folder is None and key is None:
        folder = getattr(kg, "index_folder", None)  # a workspace's graph: its index folder
    if key is None:
        key = kg.content_key() if hasattr(kg, "content_key") else f"triples:{len(kg)}"
    size_key = key
    try:
        cached = _CACHE.get(kg)
    except TypeError:
        cached = None
    if cached is not None and cached.key == size_key:
        return cached
    index = load_index(folder, size_key) if folder is not None else None
    if index is None:
        index = build_index(kg, key=size_key)
        if folder is not None:
            try:
                index.save(folder)
            except OSError as err:
                raise CareerGraphError(f"{folder}: cannot save the compiled index: {err}") from err
    try:
        _CACHE[kg] = index
    except TypeError:
        pass
    return index

