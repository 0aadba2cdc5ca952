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
import os
import sys
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from rdflib import URIRef

from careergraph.ontology import CG

from .convert import skill_model
from .errors import CareerGraphError

__all__ = ["FORMAT", "Binary", "CompiledIndex", "Bounds", "build_index", "compiled_index", "load_index",
           "load_model", "saved_model", "INDEX_FOLDER", "index_from", "extended_index",
           "extend_saved_index", "shrink_saved_index", "graph_targets", "stable_order", "requiring"]

#: The version of the on-disk layout; an index of another version is rebuilt.
FORMAT = 6

#: The folder, inside a workspace, that holds the cached index.
INDEX_FOLDER = "index"

_MATRICES = ("requires", "fixed", "frontier", "skill_fixed", "skill_frontier", "closure", "option_fixed",
             "option_frontier", "up")
_OPTION_ARRAYS = ("choice", "starts", "segment", "row", "fr_entry", "fr_skill")
#: The kinds of target, as stored (their positions) on disk.
TARGET_KINDS = ("posting", "role")
#: The skill model's own facts, per skill position: effort hours (nan: none),
#: ``(skill, prerequisite)`` and ``(narrower, broader)`` pairs.
_MODEL_ARRAYS = ("hours", "prerequisite", "broader")


def _sparse():
    import scipy.sparse as sp

    return sp


class Binary:
    """A read-only 0/1 sparse matrix in CSR (or CSC) form, multiplied by vectors with numpy alone.

    The questions an index answers per person are sums over rows of a 0/1
    matrix; doing them with numpy spares every command the import of
    ``scipy.sparse`` (about a tenth of a second). Anything else (slicing,
    products of matrices, ``tocsc``...) is handed to the equivalent scipy
    matrix, made on first use.
    """

    def __init__(self, indptr, indices, shape, *, matrix=None, csc=False):
        self.indptr, self.indices, self.shape = indptr, indices, tuple(int(n) for n in shape)
        self.format = "csc" if csc else "csr"
        self._matrix = matrix
        self._rows = None

    @classmethod
    def of(cls, matrix) -> "Binary":
        """``matrix`` (a scipy CSR or CSC matrix of ones) wrapped, or itself if it is one."""
        if isinstance(matrix, Binary):
            return matrix
        return cls(matrix.indptr, matrix.indices, matrix.shape, matrix=matrix, csc=matrix.format == "csc")

    @property
    def nnz(self) -> int:
        return len(self.indices)

    @property
    def scipy(self):
        """The same matrix as a scipy sparse matrix."""
        if self._matrix is None:
            sp = _sparse()
            make = sp.csc_matrix if self.format == "csc" else sp.csr_matrix
            self._matrix = make((np.ones(len(self.indices)), self.indices, self.indptr), shape=self.shape)
        return self._matrix

    def __matmul__(self, other):
        if (self.format == "csr" and isinstance(other, np.ndarray) and other.ndim == 1
                and self.nnz <= _NUMPY_PRODUCT_MAX and "scipy.sparse" not in sys.modules):
            if self._rows is None:  # each entry's row, made once: the products then cost one bincount
                self._rows = np.repeat(np.arange(self.shape[0], dtype=np.int32), np.diff(self.indptr))
            return _row_sums(self._rows, self.indices, other, self.shape[0])
        return self.scipy @ other

    def __getitem__(self, key):
        return self.scipy[key]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.scipy, name)

    def __repr__(self):
        return f"<Binary {self.format} {self.shape[0]}x{self.shape[1]}, {self.nnz} ones>"


#: Above this many ones, a product goes to scipy even if that means importing it: its fused
#: loop is faster than numpy's gather-and-bincount there (5 against 22 ms on 3.2M ones;
#: on 0.3M ones numpy takes 1.3 ms).
_NUMPY_PRODUCT_MAX = 1_000_000


def _row_sums(rows, indices, vector, n_rows: int) -> np.ndarray:
    """Per row, the sum of ``vector`` over the row's columns: a 0/1 matrix times a vector.

    ``rows`` holds each entry's row (in entry order), ``indices`` its column.
    Each row's entries are added in order, as a CSR product adds them.
    """
    if len(indices) == 0:
        return np.zeros(n_rows)
    return np.bincount(rows, weights=np.asarray(vector, dtype=np.float64)[indices], minlength=n_rows)


def stable_order(values) -> np.ndarray:
    """The positions that sort ``values`` ascending, ties in position order (a stable argsort).

    Hours in an index are rounded to 6 decimals and never negative, so most
    often each value and its position pack into one distinct integer, which
    numpy sorts several times faster than a stable sort of floats (2.5 against
    12 ms for 100,000 values). Anything else takes the stable argsort.
    """
    values = np.asarray(values)
    n = len(values)
    shift = max(int(n - 1).bit_length(), 1)
    ceiling = 2 ** (61 - shift)  # keys stay below it, positions take the low bits
    if values.dtype.kind == "f":
        if n < 2 or np.isnan(values).any() or (values < 0).any():
            return np.argsort(values, kind="stable")
        finite = np.isfinite(values)
        scaled = np.rint(values * 1e6)
        # every finite value a multiple of 1e-6 below the ceiling: distinct values get distinct keys
        if not (np.array_equal(scaled[finite] / 1e6, values[finite]) and (scaled[finite] < ceiling).all()):
            return np.argsort(values, kind="stable")
        key = np.where(finite, scaled, ceiling).astype(np.int64)  # inf after every finite value
    elif values.dtype.kind in "iub" and n >= 2:
        low, high = int(values.min()), int(values.max())
        if high - low >= ceiling:
            return np.argsort(values, kind="stable")
        key = values.astype(np.int64) - low
    else:
        return np.argsort(values, kind="stable")
    return np.sort((key << shift) | np.arange(n, dtype=np.int64)) & ((1 << shift) - 1)


#: Up to this many columns, :func:`_minus_columns` loops over them in Python.
_LOOP_COLUMNS = 4096


def _minus_columns(base, csc, columns, weights) -> np.ndarray:
    """``base`` minus, for each of ``columns``, its weight on every row of that column of ``csc``.

    A column holds each row once, so a few columns are subtracted one at a
    time in place, which is twice as fast as gathering their entries for a
    weighted bincount (5 against 12 ms for 104 columns holding 0.5M entries).
    """
    if len(columns) > _LOOP_COLUMNS:
        rows, counts = _lines(csc, columns)
        return base - np.bincount(rows, weights=np.repeat(weights[columns], counts), minlength=len(base))
    out = np.array(base, dtype=np.float64)
    indptr, indices = csc.indptr, csc.indices
    for c in np.asarray(columns).tolist():
        out[indices[indptr[c]:indptr[c + 1]]] -= weights[c]
    return out


def _selected_row_sums(m, rows, vector) -> np.ndarray:
    """``(m @ vector)[rows]`` for a 0/1 CSR matrix, reading only those rows."""
    columns, counts = _lines(m, rows)
    return np.bincount(np.repeat(np.arange(len(rows)), counts),
                       weights=np.asarray(vector, dtype=np.float64)[columns], minlength=len(rows))


def _lines(m, lines) -> tuple[np.ndarray, np.ndarray]:
    """The entries of some rows of a CSR matrix (or columns of a CSC one), concatenated in order.

    Returns ``(their column (row) indices, how many per line)``.
    """
    starts, ends = m.indptr[lines], m.indptr[np.asarray(lines) + 1]
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=m.indices.dtype), counts
    # the k-th entry of line c sits at starts[c] + k
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return m.indices[np.arange(total) + offsets], counts


@dataclass(frozen=True)
class Bounds:
    """Per target, for one person: what :meth:`CompiledIndex.bounds` computed.

    Arrays are indexed like :attr:`CompiledIndex.targets`. ``lower`` and
    ``upper`` are hours (``inf`` in ``upper`` when a choice cannot be met);
    ``exact`` marks the targets where they are equal; ``met`` counts the
    essential requirements the person meets and ``required`` all of them.

    ``lower_weight`` and ``upper_weight`` bound what the engine minimises
    (hours, plus :data:`~careergraph.graph.convert.UNPRICED_WEIGHT` per skill
    learned without effort hours): the order of targets. They are the hour
    bounds when no skill is unpriced.
    """

    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    met: np.ndarray
    required: np.ndarray
    lower_weight: np.ndarray | None = None
    upper_weight: np.ndarray | None = None

    def __post_init__(self):
        if self.lower_weight is None:
            object.__setattr__(self, "lower_weight", self.lower)
            object.__setattr__(self, "upper_weight", self.upper)

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
    ``option_frontier`` are their closures, one row per option. ``up`` is
    skills x skills: the broad skills each skill meets by being narrower
    (for the skills whose own closure needs no choice), which is what drops
    a choice from a frontier; kept so that targets can be added without a
    rebuild (:func:`extended_index`).
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
    up: object
    options: dict
    cyclic: np.ndarray | None = None
    key: str = ""
    model_arrays: dict | None = None

    def __post_init__(self):
        for name in _MATRICES:
            setattr(self, name, Binary.of(getattr(self, name)))
        self._skill_pos = None
        self._target_pos = None
        self._posting_rows = None
        self.required = np.diff(self.requires.indptr).astype(np.int64)
        if self.cyclic is None:
            self.cyclic = np.zeros(len(self.skills), dtype=bool)
        self._demand = None
        self._rows: dict = {}
        self._columns = None
        self._model = None
        self._priced = None
        self._kind_codes = None  # kinds as TARGET_KINDS positions, when read from disk
        self._csc = None  # fixed and requires by column, when read from disk

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
            if self._kind_codes is not None:
                found = np.flatnonzero(self._kind_codes == TARGET_KINDS.index(kind)) \
                    if kind in TARGET_KINDS else np.zeros(0, dtype=np.int64)
            else:
                found = np.flatnonzero(np.asarray(self.kinds) == kind)
            found.setflags(write=False)
            self._rows[kind] = found
        return found

    def _by_column(self):
        """``fixed`` and ``requires`` by column, the forced hours of each target, the column sizes."""
        if self._columns is None:
            if self._csc is not None:  # saved with the index: converting 100k rows takes 0.2 s
                fixed, requires = (Binary(self._csc[f"{name}_indptr"], self._csc[f"{name}_indices"],
                                          getattr(self, name).shape, csc=True)
                                   for name in ("fixed", "requires"))
            else:
                fixed, requires = (Binary.of(m.scipy.tocsc()) for m in (self.fixed, self.requires))
            forced = self._csc["forced_hours"] if self._csc is not None else self.fixed @ self.hours
            self._columns = (fixed, requires, forced, np.diff(fixed.indptr))
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
        order = pool[stable_order(-counts[pool])][:n]
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
        hit_segment = segment[hit]  # options are grouped by choice: the first hit of each group
        first = np.flatnonzero(np.concatenate(([True], hit_segment[1:] != hit_segment[:-1]))) \
            if len(hit) else np.zeros(0, dtype=np.int64)
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
        beta_h, beta_w = self.choice_costs(known)
        known_columns = np.flatnonzero(known)
        fixed_by_column, requires_by_column, all_forced, sizes = self._by_column()
        if sizes[known_columns].sum() * 3 < self.fixed.nnz:
            # few known skills: subtract their hours from each target's whole forced closure
            forced = np.round(_minus_columns(all_forced, fixed_by_column, known_columns, self.hours), 6)
        else:
            forced = self.fixed @ vh
        lower = forced
        lacking = self.mask(lacks) & unknown
        if lacking.any():
            below = np.zeros(len(self.skills), dtype=bool)
            below[_lines(self.skill_fixed, np.flatnonzero(lacking))[0]] = True
            lower = self.fixed @ (vh * ~below)
        upper = forced + self.frontier @ beta_h if self.frontier.nnz else forced
        if lacking.any():
            # The skills below a lacked one are not in every plan. Learning them is a plan, but when
            # one is unpriced a plan of least weight may skip it and cost more hours: no upper bound.
            loose = below & unknown & (self.weight > self.hours)
            if loose.any():
                upper = np.where(self.fixed @ loose.astype(np.float64) > 0, np.inf, upper)
        stuck = self.cyclic & unknown
        if stuck.any():  # a forced closure holding an unknown cycle: no order of learning exists
            upper = np.where(self.fixed @ stuck.astype(np.float64) > 0, np.inf, upper)
        met = np.bincount(_lines(requires_by_column, known_columns)[0], minlength=len(self.targets))
        lower_w = upper_w = None
        if not self.priced_weight:  # some skill is unpriced: bound the weight too, the same way
            vw = self.weight * unknown
            forced_w = self.fixed @ vw
            lower_w = self.fixed @ (vw * ~below) if lacking.any() else forced_w
            upper_w = forced_w + (self.frontier @ beta_w if self.frontier.nnz else 0.0)
            blocked = np.isinf(upper)
            lower_w, upper_w = np.round(lower_w, 6), np.where(blocked, np.inf, np.round(upper_w, 6))
            exact = np.isclose(lower_w, upper_w, rtol=0, atol=1e-6)
        else:
            exact = np.isclose(lower, upper, rtol=0, atol=1e-6)
        return Bounds(np.round(lower, 6), np.round(upper, 6), exact, met, self.required, lower_w, upper_w)

    @property
    def priced_weight(self) -> bool:
        """Whether the engine's weight is the hours for every skill (no skill is learned unpriced)."""
        if self._priced is None:
            self._priced = bool(np.array_equal(self.weight, self.hours))
        return self._priced

    def skill_model(self):
        """The :class:`~careergraph.graph.convert.SkillModel` the index was built from, or None.

        Rebuilt from the stored pairs, with IRIs as ``URIRef``: reading a
        workspace's model this way takes milliseconds, where extracting it
        from the store takes seconds at the scale of ESCO.
        """
        if self._model is None and self.model_arrays is not None:
            self._model = _model_of(self.skills, self.model_arrays)
        return self._model

    # -- storage -------------------------------------------------------------------
    def save(self, folder) -> Path:
        """Write the index into ``folder`` (replaced atomically); returns the path of its arrays.

        The arrays go into one file, each at an aligned offset, that
        :func:`load_index` maps into memory: a command reads only the pages
        its question touches of the file (45 MB at L).
        """
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
        fixed, requires, arrays["forced_hours"], _ = self._by_column()
        for name, m in (("fixed", fixed), ("requires", requires)):
            arrays[f"{name}_csc_indptr"], arrays[f"{name}_csc_indices"] = m.indptr, m.indices
        arrays["skills"], arrays["targets"] = _pack(self.skills), _pack(self.targets)
        arrays["kinds"] = np.array([TARGET_KINDS.index(k) for k in self.kinds], dtype=np.uint8)
        data, names, model = folder / INDEX_ARRAYS, folder / "index.json", folder / MODEL_FILE
        tmp_data, tmp_names, tmp_model = (folder / f"{f.name}.tmp" for f in (data, names, model))
        with open(tmp_data, "wb") as fh:
            layout = _write_arrays(fh, arrays)
        meta = {"format": FORMAT, "key": self.key, "arrays": layout}
        if self.model_arrays is not None:
            # the model alone, with its own key and skill list: `path` reads it without the index
            with open(tmp_model, "wb") as fh:
                np.savez(fh, key=np.frombuffer(self.key.encode(), dtype=np.uint8),
                         format=np.array([FORMAT]), skills=_pack(self.skills),
                         **{f"model_{k}": v for k, v in self.model_arrays.items()})
        tmp_names.write_text(json.dumps(meta), encoding="utf-8")
        # the names file carries the key: written last, so a crash leaves a key that does not match
        names.unlink(missing_ok=True)
        model.unlink(missing_ok=True)
        tmp_data.replace(data)
        if self.model_arrays is not None:
            tmp_model.replace(model)
        tmp_names.replace(names)
        (folder / "index.npz").unlink(missing_ok=True)  # an earlier format's arrays
        return data


def _binary(m):
    m.sum_duplicates()
    m.data = np.ones(len(m.indices), dtype=np.float64)
    return m


#: The file, in an index folder, that holds the index's arrays (laid out as ``index.json`` says).
INDEX_ARRAYS = "index.bin"
_ALIGN = 64


def _write_arrays(fh, arrays: dict) -> dict:
    """Write each array's bytes at a 64-byte aligned offset; return where each one is."""
    layout, offset = {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        pad = -offset % _ALIGN
        fh.write(b"\0" * pad)
        offset += pad
        layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        fh.write(array.tobytes())
        offset += array.nbytes
    return layout


def _mapped_arrays(path, layout: dict) -> dict:
    """The arrays of :func:`_write_arrays`, read-only views of the file mapped into memory."""
    import mmap

    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    arrays = {}
    for name, where in layout.items():
        dtype, shape, offset = np.dtype(where["dtype"]), tuple(where["shape"]), int(where["offset"])
        count = int(np.prod(shape, dtype=np.int64))
        if offset < 0 or offset + count * dtype.itemsize > size:
            raise ValueError(f"{path}: array {name} lies outside the file")
        arrays[name] = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)
    return arrays


def load_index(folder, key: str) -> CompiledIndex | None:
    """The index saved in ``folder`` if it was built for ``key`` (and this format), else None.

    Its arrays are mapped, not read (12 ms at L, where reading the 45 MB
    took 57 ms): the pages a question touches are read as it touches them.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("key") != key:
            return None
        data = _mapped_arrays(folder / INDEX_ARRAYS, meta["arrays"])
        matrices = {}
        for name in _MATRICES:
            indptr, indices = data[f"{name}_indptr"], data[f"{name}_indices"]
            matrices[name] = Binary(indptr, indices, data[f"{name}_shape"])
        options = {k: data[f"options_{k}"] for k in _OPTION_ARRAYS}
        codes = data["kinds"]
        skills, targets = _unpack(data["skills"]), _Packed(data["targets"])
        if len(skills) != matrices["closure"].shape[0] or not (len(targets) == len(codes)
                                                              == matrices["requires"].shape[0]):
            return None
        names = np.array(TARGET_KINDS, dtype=object)
        index = CompiledIndex(skills, targets, names[codes].tolist(), data["hours"], data["weight"],
                              options=options, cyclic=data["cyclic"], key=key, **matrices)
        index._kind_codes = codes
        index._csc = {f"{name}_{part}": data[f"{name}_csc_{part}"]
                      for name in ("fixed", "requires") for part in ("indptr", "indices")}
        index._csc["forced_hours"] = data["forced_hours"]
        return index
    except (OSError, ValueError, KeyError, TypeError, EOFError, IndexError, UnicodeDecodeError):
        return None  # missing or damaged: the caller rebuilds it


#: The file, beside the index, that holds the skill model alone.
MODEL_FILE = "model.npz"


def _saved_model_arrays(folder, key: str) -> tuple[list, dict] | None:
    """``(skills, model arrays)`` saved in ``folder`` for ``key``, else None."""
    try:
        with np.load(Path(folder) / MODEL_FILE) as data:
            if int(data["format"][0]) != FORMAT or data["key"].tobytes().decode() != key:
                return None
            return _unpack(data["skills"]), {k: data[f"model_{k}"] for k in _MODEL_ARRAYS}
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError):
        return None


def load_model(folder, key: str):
    """The :class:`~careergraph.graph.convert.SkillModel` saved in ``folder`` for ``key``, else None.

    Saved with the index (:meth:`CompiledIndex.save`); reading it takes a
    few milliseconds, so a learning path on a big workspace does not
    extract the skill graph from the store again.
    """
    saved = _saved_model_arrays(folder, key)
    if saved is None:
        return None
    skills, arrays = saved
    try:
        return _model_of(skills, arrays)
    except (IndexError, ValueError):
        return None


def saved_model(kg, folder, key: str):
    """The skill model of ``kg`` from its index in memory or saved in ``folder`` for ``key``, else None."""
    try:
        cached = _CACHE.get(kg)
    except TypeError:
        cached = None
    if cached is not None and cached.key == key and cached.model_arrays is not None:
        return cached.skill_model()
    return load_model(folder, key)


def _pack(strings) -> np.ndarray:
    return np.frombuffer("\n".join(strings).encode(), dtype=np.uint8)


def _unpack(array) -> list:
    text = array.tobytes().decode()
    return text.split("\n") if text else []


class _Packed(Sequence):
    """The strings of :func:`_pack`, decoded one at a time as they are read.

    An index of 100,000 postings then need not split all their IRIs on
    every run; a ranking decodes the few it shows.
    """

    def __init__(self, array):
        self._array = array
        self._ends = None

    def _bounds(self):
        if self._ends is None:
            if len(self._array):  # the strings joined by newlines
                self._ends = np.append(np.flatnonzero(self._array == 10), len(self._array))
                self._starts = np.append(0, self._ends[:-1] + 1)
            else:  # an empty array packs no string at all
                self._starts = self._ends = np.zeros(0, dtype=np.int64)
        return self._starts, self._ends

    def __len__(self):
        return len(self._bounds()[1])

    def __getitem__(self, i):
        starts, ends = self._bounds()
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(ends)))]
        i = int(i)
        if i < 0:
            i += len(ends)
        if not 0 <= i < len(ends):
            raise IndexError("index out of range")
        return self._array[starts[i]:ends[i]].tobytes().decode()

    def __iter__(self):
        return iter(_unpack(self._array))

    def __eq__(self, other):
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    __hash__ = None

    def __repr__(self):
        return f"<{len(self)} packed strings>"


def _model_arrays(model, pos) -> dict:
    """The model's own facts as position arrays (see :data:`_MODEL_ARRAYS`)."""
    hours = np.full(len(pos), np.nan)
    for s, h in model.hours.items():
        hours[pos[str(s)]] = h
    pairs = {}
    for name, edges in (("prerequisite", model.prerequisites), ("broader", model.broader)):
        found = sorted((pos[str(s)], pos[str(o)]) for s, targets in edges.items() for o in targets)
        pairs[name] = np.array(found, dtype=np.int64).reshape(-1, 2)
    return {"hours": hours, **pairs}


def _model_of(skills, arrays):
    """A :class:`~careergraph.graph.convert.SkillModel` from :func:`_model_arrays`' arrays.

    The model was checked for cycles when it was first built, and its IRIs
    came from the store: both checks are skipped (``str.__new__`` makes the
    same ``URIRef`` without re-validating it), and the edges are read on
    demand (:class:`_Edges`), so this takes milliseconds.
    """
    from .convert import SkillModel

    nodes = [str.__new__(URIRef, s) for s in skills]
    position = {node: i for i, node in enumerate(nodes)}
    hours = arrays["hours"]
    priced = np.flatnonzero(~np.isnan(hours))
    broader = arrays["broader"]
    return SkillModel(
        hours=dict(zip([nodes[i] for i in priced.tolist()], hours[priced].tolist())),
        prerequisites=_Edges(nodes, position, arrays["prerequisite"]),
        broader=_Edges(nodes, position, broader),
        narrower=_Edges(nodes, position, broader[:, ::-1]),
    )


class _Edges(Mapping):
    """``{skill: frozenset of skills}`` over an array of ``(from, to)`` positions, built on demand."""

    def __init__(self, nodes, position, pairs):
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))] if len(pairs) else pairs.reshape(-1, 2)
        self._nodes, self._position = nodes, position
        self._ptr = np.searchsorted(pairs[:, 0], np.arange(len(nodes) + 1)).tolist()
        self._to = pairs[:, 1].tolist()
        self._found: dict = {}

    def __getitem__(self, node):
        found = self._found.get(node)
        if found is None:
            i = self._position.get(node)
            if i is None or self._ptr[i] == self._ptr[i + 1]:
                raise KeyError(node)
            found = frozenset(self._nodes[j] for j in self._to[self._ptr[i]:self._ptr[i + 1]])
            self._found[node] = found
        return found

    def __contains__(self, node):
        i = self._position.get(node)
        return i is not None and self._ptr[i] != self._ptr[i + 1]

    def __iter__(self):
        ptr = self._ptr
        return (self._nodes[i] for i in range(len(self._nodes)) if ptr[i] != ptr[i + 1])

    def __len__(self):
        ptr = self._ptr
        return sum(1 for i in range(len(self._nodes)) if ptr[i] != ptr[i + 1])


# -- building ------------------------------------------------------------------------

def _target_requirements(kg) -> tuple[dict, dict]:
    """``({target: [skills]}, {target: kind})`` for every posting and role, IRIs as strings.

    Essential requirements are ``cg:requiresSkill`` and ``cg:needsSkill``, as
    in :func:`~careergraph.graph.convert.requirements`; one pass per property.
    """
    store = getattr(kg, "oxigraph", None)
    if store is not None:
        return _native_requirements(store)
    kinds = {str(p): "posting" for p in kg.entities("posting")}
    kinds.update((str(r), "role") for r in kg.entities("role") if str(r) not in kinds)
    reqs: dict = {t: [] for t in kinds}
    for prop in (CG.requiresSkill, CG.needsSkill):
        for s, o in kg.graph.subject_objects(prop):
            if isinstance(o, URIRef) and str(s) in reqs:
                reqs[str(s)].append(str(o))
    return reqs, kinds


class _Requirements(NamedTuple):
    """Targets and their essential requirements as positions: what :func:`_compile` reads."""

    targets: list  #: IRIs (strings), sorted
    kinds: list  #: each target's kind
    skills: list  #: the skills requirements name (strings, no repeats)
    rows: np.ndarray  #: per requirement, its target's position in ``targets``
    columns: np.ndarray  #: per requirement, its skill's position in ``skills``


def _requirements_of(requirements: dict, kinds: dict | None = None) -> _Requirements:
    """``{target: [skills]}`` and ``{target: kind}`` (default ``"posting"``) as :class:`_Requirements`."""
    reqs = {str(t): v for t, v in requirements.items()}
    targets = sorted(reqs)
    kind_of = {str(k): v for k, v in (kinds or {}).items()}
    column: dict = {}
    rows, columns = [], []
    for i, t in enumerate(targets):
        for skill in reqs[t]:
            rows.append(i)
            columns.append(column.setdefault(str(skill), len(column)))
    return _Requirements(targets, [kind_of.get(t, "posting") for t in targets], list(column),
                         np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64))


#: The patterns of an essential requirement, ``?t`` requiring ``?s``.
_EITHER = f"{{ ?t <{CG.requiresSkill}> ?s }} UNION {{ ?t <{CG.needsSkill}> ?s }}"


def _native_kinds(store, within: str = "") -> dict:
    """``{target: kind}`` for every posting and role of a pyoxigraph store (``within``: a pattern
    narrowing ``?t``); a target typed as both is a posting."""
    from .native import select_iris

    kinds: dict = {}
    for kind, cls in (("posting", CG.JobPosting), ("role", CG.Role)):
        for (t,) in select_iris(store, f"SELECT DISTINCT ?t WHERE {{ {within} ?t a <{cls}> }}", literals=False):
            if t is not None:
                kinds.setdefault(t, kind)
    return kinds


def _read_names(store) -> tuple[list, list, list]:
    """``(targets, their kinds, skills)`` of a pyoxigraph store: every posting and role (IRIs, sorted;
    a target typed as both is a posting) and every IRI a requirement names (in Oxigraph's order)."""
    from .native import select_iris

    kinds = _native_kinds(store)
    targets = sorted(kinds)
    skills = [s for (s,) in select_iris(store, f"SELECT DISTINCT ?s WHERE {{ {_EITHER} }}", literals=False)
              if s is not None]
    return targets, [kinds[t] for t in targets], skills


def _read_pairs(store, targets: list, skills: list) -> tuple[np.ndarray, np.ndarray]:
    """Every requirement of a target of ``targets`` on a skill of ``skills``, as two arrays of positions.

    Oxigraph spends most of a SELECT of IRIs looking up the text of each IRI
    it writes (a million requirements: two million look-ups). Here the
    targets' and skills' IRIs go into the query in ``VALUES`` blocks, each
    with its position, and only the positions are written: Oxigraph joins on
    its own term codes, writes integers without a look-up, and numpy reads
    them at once (at L, side by side on a busy host: 3.3-3.9 s, where the
    same SELECT writing IRIs took 12.6-15.0 s before Python split them). A
    fact several sources state comes once per source. Falls back to reading
    the IRIs when one cannot be written in a query.
    """
    from .errors import InvalidDataError
    from .native import select_integers
    from .neighbourhood import iri_ref

    if not targets or not skills:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    try:
        target_values = " ".join([f"({iri_ref(t)} {i})" for i, t in enumerate(targets)])
        skill_values = " ".join([f"({iri_ref(s)} {j})" for j, s in enumerate(skills)])
    except InvalidDataError:  # an IRI a query cannot hold (a store loaded by a lenient parser)
        reqs, _ = _native_requirements(store)
        where = {t: i for i, t in enumerate(targets)}
        column = {s: j for j, s in enumerate(skills)}
        pairs = [(where[t], column[s]) for t, v in reqs.items() for s in v if t in where and s in column]
        pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]
    # The skills' VALUES beside the patterns in a sub-select, the targets' VALUES outside it:
    # Oxigraph then joins the two by hash. With both VALUES beside the patterns it loops over
    # every pair of rows (at L it had not finished after ten minutes).
    pairs = select_integers(store, f"SELECT ?i ?j WHERE {{ VALUES (?t ?i) {{ {target_values} }} "
                                   f"{{ SELECT ?t ?j WHERE {{ VALUES (?s ?j) {{ {skill_values} }} {_EITHER} }} }} }}",
                            2)
    return pairs[:, 0], pairs[:, 1]


def _native_requirements(store, graph: str | None = None, *, targets=None) -> tuple[dict, dict]:
    """:func:`_target_requirements` read from a pyoxigraph store as TSV (see :mod:`.native`).

    With ``graph`` (a named graph's IRI), only the targets that graph types or gives
    requirements, with everything the whole store says of them; with ``targets``
    (IRIs), only those of them the store types.
    """
    from .native import select_iris

    within = ""
    if targets is not None:
        from .neighbourhood import iri_ref

        if not targets:
            return {}, {}
        within = f"VALUES ?t {{ {' '.join(iri_ref(t) for t in targets)} }}"
    elif graph is not None:
        from .neighbourhood import iri_ref

        within = (f"{{ SELECT DISTINCT ?t WHERE {{ GRAPH {iri_ref(graph)} {{ {{ ?t <{CG.requiresSkill}> ?x }} "
                  f"UNION {{ ?t <{CG.needsSkill}> ?x }} UNION {{ ?t a <{CG.JobPosting}> }} "
                  f"UNION {{ ?t a <{CG.Role}> }} }} }} }}")
    kinds = _native_kinds(store, within)
    reqs: dict = {t: [] for t in kinds}
    for prop in (CG.requiresSkill, CG.needsSkill):  # a skill that is a literal is no skill (as in rdflib)
        for t, skill in select_iris(store, f"SELECT DISTINCT ?t ?s WHERE {{ {within} ?t <{prop}> ?s }}",
                                    literals=False):
            if skill is not None and t in reqs:
                reqs[t].append(skill)
    return reqs, kinds


def _skill_matrices(sp, model, skills: list, arrays: dict) -> dict:
    """What :func:`_compile` makes of the skill model alone, as sparse matrices over ``skills``.

    Each skill's forced closure and frontier follow "needs" edges
    (:meth:`SkillModel.needs`) from the skills that are not choices: the
    skills it reaches that are not choices are its forced closure, the
    choices it reaches its frontier. Inherited prerequisites can make "needs"
    cyclic (a needs b, b needs a): skills on such a cycle reach each other,
    so they share one closure, and a plan can learn none of them unless one
    is known; they are marked in ``cyclic``. Every relation is a
    reachability, found by squaring a 0/1 matrix until it stops growing
    (at L, 14,000 skills on a busy host: 0.6-0.8 s with the option table,
    where sets per skill, networkx's condensation and ``SkillModel.closure``
    per skill took 4.3 s).
    """
    n = len(skills)
    narrower = model.narrower
    options = [model.options(s) if s in narrower else (s,) for s in skills]  # no narrower skill: itself
    choice = np.array([opts != (s,) for s, opts in zip(skills, options)], dtype=bool)
    broader, prerequisite = (_pairs_matrix(sp, arrays[k][:, 0], arrays[k][:, 1], n, n)
                             for k in ("broader", "prerequisite"))  # from _model_arrays
    up = _reach(sp, broader)  # each skill with every broader skill (SkillModel.up)
    inherited = _binary(up @ prerequisite)
    needs = _without(inherited, _binary(inherited.multiply(up)))  # SkillModel.needs
    entry_rows = _entry_rows(needs)
    reach = _reach(sp, _select(sp, needs, ~choice[entry_rows]))  # choices are where a closure stops
    fixed = _select(sp, reach, ~choice[reach.indices])
    frontier = _select(sp, reach, choice[reach.indices])
    mutual = _binary(reach.multiply(reach.T).tocsr())  # i and j reach each other: a cycle
    mutual_rows = _entry_rows(mutual)
    cyclic = np.bincount(mutual_rows[mutual_rows != mutual.indices], minlength=n) > 0
    # A skill of a forced closure meets the broad skills above it for free, so a choice among
    # them needs no extra option; counted only for skills whose own closure needs no choice
    # (else learning it might itself wait for that choice: no order would exist).
    free = ~choice & (np.diff(frontier.indptr) == 0)
    up_rows = _entry_rows(up)
    meets = _select(sp, up, free[up_rows] & (up_rows != up.indices))
    return {"options": options, "choice": choice, "needs": needs, "fixed": fixed, "frontier": frontier,
            "cyclic": cyclic, "up": meets,
            # what holding each skill makes known (broader skills, prerequisites, transitively)
            "closure": _reach(sp, _binary(broader + prerequisite))}


def _reach(sp, edges):
    """Row ``i``: every node a path of ``edges`` (a square 0/1 CSR matrix) leads to from ``i``, itself included."""
    reach = _binary((sp.identity(edges.shape[0], format="csr") + edges).tocsr())
    while True:  # squaring doubles the length of the paths counted: a few rounds
        more = _binary(reach @ reach)
        if more.nnz == reach.nnz:
            return more
        reach = more


def _entry_rows(m) -> np.ndarray:
    """Each stored entry's row, in order, of a CSR matrix."""
    return np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))


def _select(sp, m, keep):
    """The CSR matrix ``m`` with only the stored entries ``keep`` marks (a boolean per entry)."""
    keep = np.asarray(keep, dtype=bool)
    indptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(_entry_rows(m)[keep], minlength=m.shape[0]))
    return sp.csr_matrix((np.ones(int(keep.sum())), m.indices[keep], indptr), shape=m.shape)


def _without(m, other):
    """``m`` without the entries of ``other`` (0/1 CSR matrices)."""
    kept = m - other
    kept.eliminate_zeros()
    return _binary(kept.tocsr())


def build_index(kg, *, key: str = "") -> CompiledIndex:
    """Compile ``kg``'s postings and skills into a :class:`CompiledIndex`.

    From a workspace's Oxigraph store, the requirements are read in other
    threads (Oxigraph releases the GIL while it answers) while this one reads
    the skill model and compiles its part.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> idx = build_index(load())
    >>> len(idx.postings), idx.requires.nnz > 0
    (5, True)
    """
    store = getattr(kg, "oxigraph", None)
    if store is None:
        reqs, kinds = _target_requirements(kg)
        return index_from(skill_model(kg), reqs, kinds=kinds, key=key)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="careergraph-index") as pool:
        names = pool.submit(_read_names, store)
        model = skill_model(kg)
        targets, kinds, skills = names.result()
        # Many targets: two halves, in two threads (at L on a quiet 2-core host, 2.7 s where one
        # query took 3.9 s; on a busy one, the same time).
        half = len(targets) // 2 if len(targets) >= _SPLIT_TARGETS else len(targets)
        parts = [pool.submit(_read_pairs, store, targets[:half], skills)]
        if half < len(targets):
            parts.append(pool.submit(_read_pairs, store, targets[half:], skills))

        def pairs():
            found = [part.result() for part in parts]
            return (np.concatenate([rows + (half if k else 0) for k, (rows, _) in enumerate(found)]),
                    np.concatenate([columns for _, columns in found]))

        try:
            return _compile(model, targets, kinds, skills, pairs, key=key)
        finally:
            for part in parts:
                part.cancel()


#: From this many targets on, :func:`build_index` reads the requirements in two halves at once.
_SPLIT_TARGETS = 10_000


def index_from(model, requirements: dict, *, kinds: dict | None = None, key: str = "") -> CompiledIndex:
    """Compile a :class:`SkillModel` and ``{target: [essential skills]}`` into an index.

    Targets and skills may be IRIs or any strings (they are stored as
    strings); ``kinds`` maps a target to ``"posting"`` (the default) or ``"role"``.
    """
    found = _requirements_of(requirements, kinds)
    return _compile(model, found.targets, found.kinds, found.skills, lambda: (found.rows, found.columns), key=key)


def _compile(model, targets: list, kinds: list, named: list, pairs, *, key: str) -> CompiledIndex:
    """:func:`index_from` on ``targets`` (sorted) with their ``kinds``, and requirements on the
    skills ``named``: ``pairs()`` gives them as ``(target positions, positions in named)``, and is
    called once the skill model's part is done (it may still be being read)."""
    sp = _sparse()
    originals = {}
    for s in (*model.hours, *model.prerequisites, *model.broader, *model.narrower):
        originals[str(s)] = s
    for v in model.prerequisites.values():
        originals.update((str(p), p) for p in v)
    skills_str = sorted(set(originals).union(named))
    pos = {s: i for i, s in enumerate(skills_str)}
    skills = [originals.get(s, s) for s in skills_str]
    model_arrays = _model_arrays(model, pos)
    m = _skill_matrices(sp, model, skills, model_arrays)
    choice, up = m["choice"], m["up"]
    # A choice's own hours count only in its "learn it as itself" option (never in a closure).
    hours = np.array([model.cost(s) for s in skills])
    weight = np.array([0.0 if choice[i] and not model.learnable(s) else model.weight(s)
                       for i, s in enumerate(skills)])
    skill_frontier = _drop_met(sp, m["fixed"], m["frontier"], up)
    table, option_fixed, option_frontier = _option_table(sp, skills, pos, m)

    rows, columns = pairs()
    to_column = np.fromiter((pos[s] for s in named), dtype=np.int64, count=len(named))
    requires = _pairs_matrix(sp, rows, to_column[columns], len(targets), len(skills))
    posting_fixed = _binary(requires @ m["fixed"])
    posting_frontier = _drop_met(sp, posting_fixed, _binary(requires @ m["frontier"]), up)
    return CompiledIndex(skills_str, targets, kinds, hours, weight, requires, posting_fixed, posting_frontier,
                         m["fixed"], skill_frontier, m["closure"], option_fixed, option_frontier, up, table,
                         cyclic=m["cyclic"], key=key, model_arrays=model_arrays)


def extended_index(index: CompiledIndex, requirements: dict, kinds: dict, *, key: str,
                   model_arrays: dict | None = None, removed=()) -> CompiledIndex | None:
    """``index`` with some targets added, removed, or their rows made again, for the same skill model.

    What a new file of job postings changes: targets and their requirements,
    not the skills' prerequisites, hours or hierarchy. Each target of
    ``requirements`` (all its essential skills: a target already in the index
    has its row replaced) gets the rows :func:`index_from` would give it; the
    skills' matrices are kept. Returns None when a requirement names a skill
    the index has no column for (build the index again then).

    Parameters
    ----------
    index : CompiledIndex
        Built (or saved) for the graph before the change.
    requirements : dict
        ``{target: [essential skills]}`` of the new or changed targets (IRIs or strings).
    kinds : dict
        ``{target: "posting" | "role"}`` of those targets.
    key : str
        The key of the graph after the change.
    model_arrays : dict, optional
        The skill model's arrays, saved with the new index (as :func:`index_from` keeps them).
    removed : iterable of str, optional
        Targets whose rows are dropped, unless ``requirements`` gives them new ones
        (what removing a file of job postings changes).

    Examples
    --------
    >>> from careergraph.graph import load
    >>> idx = build_index(load())
    >>> more = extended_index(idx, {"urn:new": [idx.skills[0]]}, {"urn:new": "posting"}, key="k")
    >>> len(more.postings) - len(idx.postings), more.requires[more.target_position("urn:new")].nnz
    (1, 1)
    >>> extended_index(idx, {"urn:new": ["urn:no-such-skill"]}, {"urn:new": "posting"}, key="k") is None
    True
    >>> len(extended_index(more, {}, {}, key="k2", removed=["urn:new"]).targets) == len(idx.targets)
    True
    """
    sp = _sparse()
    added = sorted({str(t) for t in requirements})
    rows = []
    for target in added:
        columns = {index.skill_position(s) for s in requirements[target]}
        if None in columns:
            return None
        rows.append(sorted(columns))
    n = len(index.skills)
    requires = _rows(sp, rows, len(added), n)
    # As index_from, with the skills' frontiers after _drop_met: a choice one requirement's closure
    # meets is met by the target's closure too, so the difference is dropped by the same step.
    fixed = _binary(requires @ index.skill_fixed.scipy)
    frontier = _drop_met(sp, fixed, _binary(requires @ index.skill_frontier.scipy), index.up.scipy)
    old = list(index.targets)
    gone = {str(t) for t in removed}
    where = {t: i for i, t in enumerate(old) if t not in gone}
    where.update((t, len(old) + j) for j, t in enumerate(added))
    targets = sorted(where)
    order = np.fromiter((where[t] for t in targets), dtype=np.int64, count=len(targets))
    kind_of = dict(zip(old, index.kinds))
    kind_of.update((str(t), k) for t, k in kinds.items())

    def merged(before, after):
        return sp.vstack([before.scipy, after], format="csr")[order]

    return CompiledIndex(index.skills, targets, [kind_of.get(t, "posting") for t in targets], index.hours,
                         index.weight, merged(index.requires, requires), merged(index.fixed, fixed),
                         merged(index.frontier, frontier), index.skill_fixed, index.skill_frontier,
                         index.closure, index.option_fixed, index.option_frontier, index.up, index.options,
                         cyclic=index.cyclic, key=key, model_arrays=model_arrays)


def extend_saved_index(folder, store, graph: str, *, old_key: str, key: str) -> CompiledIndex | None:
    """Save, for ``key``, the index saved in ``folder`` for ``old_key`` extended with the targets of ``graph``.

    For a workspace that took in a file of targets only (postings or roles
    with their requirements, no prerequisite, hours or hierarchy): reads the
    targets ``graph`` mentions from ``store`` (pyoxigraph) with all their
    requirements, and :func:`extended_index` makes their rows. Returns the
    new index, or None (nothing saved) when no index or skill model is saved
    for ``old_key`` or a requirement names a skill the index lacks: the index
    is then built again when next needed.
    """
    index = load_index(folder, old_key)
    saved = _saved_model_arrays(folder, old_key) if index is not None else None
    if saved is None or saved[0] != index.skills:
        return None
    # the targets first, then their requirements through VALUES: at L, for 1,000 postings, 5.3 s
    # with the graph pattern in every query instead
    requirements, kinds = _native_requirements(store, targets=graph_targets(store, graph))
    extended = extended_index(index, requirements, kinds, key=key, model_arrays=saved[1])
    if extended is not None:
        extended.save(folder)
    return extended


def graph_targets(store, graph: str) -> list:
    """The targets graph ``graph`` of ``store`` (pyoxigraph) types or gives requirements (IRIs, sorted):
    the rows of the index that removing it can change."""
    from .native import select_iris
    from .neighbourhood import iri_ref

    query = (f"SELECT DISTINCT ?t WHERE {{ GRAPH {iri_ref(graph)} {{ {{ ?t <{CG.requiresSkill}> ?x }} "
             f"UNION {{ ?t <{CG.needsSkill}> ?x }} UNION {{ ?t a <{CG.JobPosting}> }} UNION {{ ?t a <{CG.Role}> }} }} }}")
    return sorted(t for (t,) in select_iris(store, query, literals=False) if t is not None)


def shrink_saved_index(folder, store, targets: list, *, old_key: str, key: str) -> CompiledIndex | None:
    """Save, for ``key``, the index saved in ``folder`` for ``old_key`` after a source of targets only
    was removed from ``store``.

    The counterpart of :func:`extend_saved_index` for a workspace's remove:
    ``targets`` (:func:`graph_targets` of the removed graph, read before it
    was deleted) get the rows the store gives them now (none, when nothing
    else declares them), every other row stays. Returns the new index, or
    None (nothing saved) when no index or skill model is saved for
    ``old_key``, or a skill column would be left that only the removed
    rows named (a build would not have it): the index is then built again
    when next needed.
    """
    index = load_index(folder, old_key)
    saved = _saved_model_arrays(folder, old_key) if index is not None else None
    if saved is None or saved[0] != index.skills:
        return None
    requirements, kinds = _native_requirements(store, targets=targets)
    shrunk = extended_index(index, requirements, kinds, key=key, model_arrays=saved[1], removed=targets)
    if shrunk is None or not _columns_still_named(shrunk, saved[1], store):
        return None
    shrunk.save(folder)
    return shrunk


def _columns_still_named(index: CompiledIndex, model_arrays: dict, store) -> bool:
    """Whether a build from ``store`` would have every skill column of ``index``: a skill of the
    skill model, or one some requirement names (a row of the index, else asked of the store)."""
    from .neighbourhood import iri_ref

    kept = ~np.isnan(model_arrays["hours"])
    for name in ("prerequisite", "broader"):
        kept[np.asarray(model_arrays[name], dtype=np.int64).ravel()] = True
    kept[np.asarray(index.requires.indices, dtype=np.int64)] = True
    unnamed = np.flatnonzero(~kept)
    if len(unnamed) > _ASKED_COLUMNS:
        return False
    for j in unnamed.tolist():
        skill = iri_ref(index.skills[j])
        if not store.query(f"ASK {{ {{ ?t <{CG.requiresSkill}> {skill} }} UNION {{ ?t <{CG.needsSkill}> {skill} }} }}",
                           use_default_graph_as_union=True):
            return False
    return True


#: At most this many skill columns are looked up one by one by :func:`_columns_still_named`.
_ASKED_COLUMNS = 1_000


def _option_table(sp, skills: list, pos: dict, m: dict):
    """Every choice's options as flat arrays, and each option's closure (one row per option).

    An option is a narrower skill (its closure is the skill's own) or the
    broad skill itself when it has hours (its closure is the skill with the
    closures of its needs). ``fr_entry``/``fr_skill`` list the choices on
    each option's frontier.
    """
    needs = m["needs"]
    pick_rows, pick_columns, self_rows, self_columns = [], [], [], []  # what each option's closure unites
    choice_idx, starts, segment = [], [], []
    count = 0
    for c in np.flatnonzero(m["choice"]).tolist():
        starts.append(count)
        for o in m["options"][c]:
            j = pos[str(o)]
            if j == c:  # the broad skill learned as itself: it, and the closures of its needs
                wanted = needs.indices[needs.indptr[c]:needs.indptr[c + 1]].tolist()
                pick_rows.extend([count] * len(wanted))
                pick_columns.extend(wanted)
                self_rows.append(count)
                self_columns.append(c)
            else:
                pick_rows.append(count)
                pick_columns.append(j)
            segment.append(len(choice_idx))
            count += 1
        choice_idx.append(c)
    n = len(skills)
    pick = _pairs_matrix(sp, pick_rows, pick_columns, count, n)
    option_fixed = _binary(pick @ m["fixed"] + _pairs_matrix(sp, self_rows, self_columns, count, n))
    option_frontier = _drop_met(sp, option_fixed, _binary(pick @ m["frontier"]), m["up"])
    table = {"choice": np.array(choice_idx, dtype=np.int64), "starts": np.array(starts, dtype=np.int64),
             "segment": np.array(segment, dtype=np.int64), "row": np.arange(count, dtype=np.int64),
             "fr_entry": _entry_rows(option_frontier).astype(np.int64), "fr_skill": option_frontier.indices.astype(np.int64)}
    return table, option_fixed, option_frontier


def _sums(entries, values, size):
    """Per entry, the sum of its values; ``inf`` values stay ``inf`` (bincount would give nan)."""
    finite = np.isfinite(values)
    out = np.bincount(entries[finite], weights=values[finite], minlength=size).astype(np.float64)
    if not finite.all():
        out[entries[~finite]] = np.inf
    return out


def _rows(sp, rows, n_rows, n_cols):
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int32, count=int(indptr[-1]))
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n_rows, n_cols))


def _pairs_matrix(sp, rows, columns, n_rows, n_cols):
    """:func:`_rows` of ``(row, column)`` pairs given as two arrays (repeats and order do not matter)."""
    keys = np.sort(np.asarray(rows, dtype=np.int64) * max(n_cols, 1) + np.asarray(columns, dtype=np.int64))
    if len(keys) > 1:  # sorted, then repeats dropped: np.unique's hash table is ten times slower here
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(keys // max(n_cols, 1), minlength=n_rows))
    indices = (keys % max(n_cols, 1)).astype(np.int32)
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n_rows, n_cols))


def _drop_met(sp, fixed, frontier, up):
    """``frontier`` without the choices a skill of ``fixed`` meets by being narrower."""
    # only the choices some frontier holds can be dropped: the product needs only their columns
    held = np.zeros(frontier.shape[1], dtype=bool)
    held[frontier.indices] = True
    met = _binary(fixed @ _select(sp, up, held[up.indices]))
    return _without(frontier, frontier.multiply(met))


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
        memory, without a key, the index is kept while ``kg.index_key()`` is
        unchanged (a workspace's generation, not counting recorded progress,
        or the graph's size), and a workspace's graph names its own ``index_folder``.
    """
    if folder is None and key is None:
        folder = getattr(kg, "index_folder", None)  # a workspace's graph: its index folder
    if key is None:
        key = kg.index_key() if hasattr(kg, "index_key") else f"triples:{len(kg)}"
    size_key = key
    try:
        cached = _CACHE.get(kg)
    except TypeError:
        cached = None
    if cached is not None and cached.key == size_key:
        return cached
    index = load_index(folder, size_key) if folder is not None else None
    if index is None and folder is None:
        index = build_index(kg, key=size_key)
    elif index is None:
        from .locks import build_lock

        with build_lock(folder, "index"):  # one builder; the others wait, then read what it saved
            index = load_index(folder, size_key)
            if index is None:
                index = build_index(kg, key=size_key)
                try:
                    index.save(folder)
                except OSError as err:
                    raise CareerGraphError(f"{folder}: cannot save the compiled index: {err}") from err
    try:
        _CACHE[kg] = index
    except TypeError:
        pass
    return index


def requiring(index: CompiledIndex, skill) -> np.ndarray:
    """The rows of the targets (postings and roles, in IRI order) that require ``skill``: an
    essential requirement (``cg:requiresSkill`` or ``cg:needsSkill``); empty for a skill no
    requirement names. Read from the index's columns, without a query.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> idx = build_index(load())
    >>> [idx.targets[i] for i in requiring(idx, "https://w3id.org/careergraph/skill/flutter")][-1]
    'https://w3id.org/careergraph/role/flutter-developer'
    """
    j = index.skill_position(skill)
    if j is None:
        return np.zeros(0, dtype=np.int64)
    requires = index._by_column()[1]
    rows = np.asarray(requires.indices[requires.indptr[j]:requires.indptr[j + 1]], dtype=np.int64)
    return rows if np.all(rows[1:] > rows[:-1]) else np.unique(rows)
