"""Questions about the whole graph: fit ranking, next skills, demand, gaps and connections."""

from __future__ import annotations

import math

from rdflib import URIRef

from careergraph.ontology import CG

from .convert import UNPRICED_WEIGHT, _objects, requirements, resolve_person, situation, skill_model
from .demand import demand  # noqa: F401  (the module of its own; still importable from here)
from .explain import explain  # noqa: F401  (the module of its own: read level by level on a workspace)
from .errors import CycleError, NoPathError, UsageError
from .paths import EXACT_LIMIT, _refs, how_met, solve
from .plans import Gap, GapRow, NextSkill, NextSkills, RankRow, Ranking, Ref

__all__ = ["RANK_KINDS", "rank", "next_skills", "demand", "gap", "explain"]

#: What :func:`rank` ranks, with the entity kind of each.
RANK_KINDS = {"postings": "posting", "roles": "role", "components": "component"}


def _person(kg, person):
    iri = resolve_person(kg, person)
    objects = _objects(kg)
    direct = {o for o in objects(iri, CG.hasSkill) if isinstance(o, URIRef)}
    lacks = {o for o in objects(iri, CG.lacksSkill) if isinstance(o, URIRef)}
    return iri, direct, lacks


def _sort_key(row: RankRow):
    hours = math.inf if row.hours is None else row.hours
    return (row.required == 0, row.hours is None, row.unpriced, hours, -row.coverage,
            row.target.label.casefold(), row.target.curie)


#: Plans :func:`rank` computes at most to settle rows the compiled index leaves open.
MAX_PLANS = 200


def rank(kg, kind: str, *, person=None, limit: int | None = None, exact_limit: int = EXACT_LIMIT,
         max_plans: int = MAX_PLANS, index=None) -> Ranking:
    """Rank every posting, role or component by the hours ``person`` needs to reach it.

    Parameters
    ----------
    kg : KnowledgeGraph
    kind : {"postings", "roles", "components"}
    person : str, IRI or None
        None picks the only person in the data.
    limit : int, optional
        Return only the first ``limit`` rows (``Ranking.total`` still counts all).
    max_plans : int
        At most this many exact plans are computed (see Notes).
    index : CompiledIndex, optional
        The compiled index to use (default: :func:`~careergraph.graph.index.compiled_index`).

    Returns
    -------
    Ranking
        Rows sorted by the skills without effort hours a plan must learn
        (``unpriced``, fewest first: such a target is not "0 h" away), then
        hours (fewest first), then coverage (highest first), then label.
        ``coverage`` is the share of essential requirements met. Targets
        that state no essential requirement (0 h, and 100% of nothing: an
        ESCO occupation without essential skills, say) say nothing about
        fit, and come after all the others.

    Notes
    -----
    The compiled index (:mod:`careergraph.graph.index`) bounds the hours of
    every target at once. Where the bounds meet, they are the cheapest
    plan's hours. The other targets are planned exactly
    (:func:`~careergraph.graph.paths.solve`) in order of their lower bound,
    until the first ``limit`` rows (all rows without a limit) are settled:
    a target whose lower bound exceeds the last settled row's hours cannot
    come before it (a threshold algorithm). Past ``max_plans`` plans, the
    rows left are marked ``approximate`` with both bounds. On small data
    every row is settled, so the ranking is exact.

    A component is reached through the roles that staff it (``cg:staffedBy``):
    its row is the row of its role with the fewest hours (ties: highest
    coverage), named in ``via``. "Which component team fits me best" is the
    team where the person could fill some role soonest; a component with no
    roles has no hours and sorts last.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> r = rank(load(), "roles")
    >>> r.rows[0].hours <= r.rows[-1].hours
    True
    """
    if kind not in RANK_KINDS:
        raise UsageError(f"cannot rank {kind!r}; choose one of {', '.join(RANK_KINDS)}")
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be a positive whole number, not {limit!r}")
    from .index import compiled_index

    person_iri, direct, lacks = _person(kg, person)
    model = skill_model(kg)
    known = model.closure(direct, lacks)
    idx = index if index is not None else compiled_index(kg)
    person_ref = Ref.of(kg, person_iri)
    if kind != "components":
        rows, total = _ranked_rows(kg, idx, model, known, lacks, RANK_KINDS[kind], limit,
                                   exact_limit, max_plans)
        return Ranking(person_ref, kind, rows, total)
    components = kg.entities("component")
    role_rows = {row.target.iri: row for row in _ranked_rows(
        kg, idx, model, known, lacks, "role", None, exact_limit, max_plans)[0]} if components else {}
    rows = []
    for component in components:
        fits = [role_rows[str(o)] for o in kg.graph.objects(component, CG.staffedBy) if str(o) in role_rows]
        ref = Ref.of(kg, component)
        if not fits:
            rows.append(RankRow(ref, None, 0.0, 0, 0))
            continue
        best = min(fits, key=_sort_key)
        rows.append(RankRow(ref, best.hours, best.coverage, best.met, best.required, best.missing,
                            best.approximate, via=best.target, lower_bound=best.lower_bound,
                            unpriced=best.unpriced))
    rows.sort(key=_sort_key)
    return Ranking(person_ref, kind, tuple(rows[:limit] if limit else rows), len(rows))


def _ranked_rows(kg, idx, model, known, lacks, kind, limit, exact_limit, max_plans):
    """The first ``limit`` rows of one kind of target, settled as :func:`rank` describes."""
    import heapq

    import numpy as np

    from .index import stable_order
    from .resolve import PREFETCH_MIN, prefetch_labels

    rows = idx.rows_of(kind)
    n = len(rows)
    if n == 0:
        return (), 0
    k = n if limit is None else min(limit, n)
    b = idx.bounds(idx.mask(known), lacks)
    # Rows are ordered by the engine's weight (hours, plus UNPRICED_WEIGHT per skill learned
    # without effort hours): a target that needs skills nobody priced is not "0 h" away.
    lower, upper, exact = b.lower_weight[rows], b.upper_weight[rows], b.exact[rows]
    empty = b.required[rows] == 0  # no essential requirement: 0 h, ranked after every other row
    if empty.any():
        lower, upper = np.where(empty, np.inf, lower), np.where(empty, np.inf, upper)
    coverage = b.coverage[rows]
    hours = np.where(exact, lower, upper)  # the weight by which rows are ordered
    plan_hours = b.upper[rows].copy()  # the hours of the plan the upper bound stands for
    unpriced = _unpriced_in(upper, plan_hours)
    floor = b.lower[rows].copy()  # the proven lower bound on hours of each row
    approximate = ~exact
    # the k smallest settled hours so far, as a max-heap (negated)
    exact_hours = lower[exact]
    if k < len(exact_hours):
        exact_hours = np.partition(exact_hours, k - 1)[:k]
    settled = list(-np.sort(exact_hours))
    heapq.heapify(settled)
    # only rows whose lower bound is within the k-th smallest upper bound can be among the first k
    reach = np.partition(upper, k - 1)[k - 1] if k < n else np.inf
    open_rows = np.flatnonzero(~exact & (lower <= reach + 1e-6))
    plans = 0
    skills = idx.skills
    made: dict = {}

    def skill_iri(position: int) -> URIRef:  # a URIRef for the few skills a plan or a row names
        iri = made.get(position)
        if iri is None:
            iri = made[position] = str.__new__(URIRef, skills[position])  # from the store: unchecked
        return iri

    def essential(j) -> list:  # row j's essential requirements, sorted, as requirements() gives them
        start, end = idx.requires.indptr[rows[j]], idx.requires.indptr[rows[j] + 1]
        return [skill_iri(s) for s in idx.requires.indices[start:end].tolist()]

    for j in open_rows[stable_order(lower[open_rows])]:
        if len(settled) >= k and lower[j] > -settled[0] + 1e-6:
            break  # no row left can come before the k-th settled one
        if plans >= max_plans:
            break
        try:
            sol = solve(model, known, essential(j), exact_limit=exact_limit)
        except NoPathError:
            hours[j], approximate[j] = math.inf, False
        else:
            hours[j] = sol.hours + UNPRICED_WEIGHT * len(sol.unpriced)
            plan_hours[j], unpriced[j] = sol.hours, len(sol.unpriced)
            approximate[j], floor[j] = not sol.exact, sol.lower_bound
        plans += 1
        heapq.heappush(settled, -hours[j])
        if len(settled) > k:
            heapq.heappop(settled)
    # order by hours and coverage; ties at the cut are ordered by label, as on small data
    if k < n:
        pool = np.flatnonzero(hours <= np.partition(hours, k - 1)[k - 1])
        order = pool[np.lexsort((-coverage[pool], hours[pool]))]
        last = order[k - 1]  # keep the rows up to the k-th, and every row tied with it
        keep = (hours < hours[last]) | ((hours == hours[last]) & (coverage >= coverage[last]))
        order = order[keep[order]]
    else:
        order = np.lexsort((-coverage, hours))
    out = []
    targets = [str.__new__(URIRef, idx.targets[rows[j]]) for j in order]  # from the store: unchecked
    missing_of = [sorted(s for s in essential(j) if s not in known) for j in order]
    if len(order) >= PREFETCH_MIN:
        prefetch_labels(kg, targets + sorted(set().union(*missing_of)))
    ref = _refs(kg)
    for j, target, missing in zip(order, targets, missing_of):
        h = 0.0 if empty[j] else None if not math.isfinite(hours[j]) else float(plan_hours[j])
        out.append(RankRow(ref(target), h, float(coverage[j]), int(b.met[rows[j]]),
                           int(b.required[rows[j]]), tuple(ref(s) for s in missing),
                           bool(approximate[j]), lower_bound=float(floor[j]) if approximate[j] else None,
                           unpriced=0 if h is None else int(unpriced[j])))
    out.sort(key=_sort_key)
    return tuple(out[:k]), n


def gap(kg, person, target) -> Gap:
    """Requirement by requirement: held, met through a narrower skill, implied, or missing.

    Essential requirements come first, then the optional ones, each sorted by CURIE.
    ``status`` is ``"held"`` (held directly), ``"narrower"`` (a narrower skill
    is held), ``"prerequisite"`` (a prerequisite of a held skill) or
    ``"missing"``. A missing row names the skill the cheapest plan learns to
    meet it (``learn``: the requirement itself, or the narrower skill
    :func:`~careergraph.graph.paths.learning_path` picks for a broad one) and
    that skill's own hours, so gap and path agree.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> g = gap(load(), None, "posting:tochka-znaniy-senior-flutter-developer")
    >>> [r.held.curie for r in g.rows if r.status == "narrower"]
    ['skill:gitflow']
    """
    from .resolve import prefetch_labels

    person_iri, target_iri, model, known, direct, essential, preferred = situation(kg, person, target)
    # what the cheapest plans learn for the missing requirements: `path`'s plan for the essential
    # ones, and `path --optional`'s for the preferred ones
    plans = {True: _plan_skills(model, known, essential)}
    if any(r not in known for r in preferred):
        plans[False] = _plan_skills(model, known, [*essential, *preferred])
    learned = {s for plan in plans.values() for s in plan}
    prefetch_labels(kg, [person_iri, target_iri, *essential, *preferred, *direct, *learned])  # the names shown
    rows = []
    for skills, is_essential in ((essential, True), (preferred, False)):
        for r in sorted(skills, key=kg.curie):
            if r in known:
                via, held = how_met(model, direct, known, r)
                status = "held" if via == "direct" else via
                rows.append(GapRow(Ref.of(kg, r), is_essential, status, Ref.of(kg, held)))
                continue
            plan = plans[is_essential]
            meets = r if r in plan else min((s for s in model.down(r) if s in plan), key=str, default=None)
            if meets is None and model.learnable(r):
                meets = r  # no plan exists: the requirement itself, at its own hours
            rows.append(GapRow(Ref.of(kg, r), is_essential, "missing", None,
                               model.hours.get(meets) if meets is not None else None,
                               Ref.of(kg, meets) if meets is not None else None))
    return Gap(Ref.of(kg, person_iri), Ref.of(kg, target_iri), kg.kind_of(target_iri) or "posting",
               tuple(rows))


def _unpriced_in(weight, hours):
    """How many skills without effort hours plans of these weights and hours learn (0 where there is
    no plan): each adds UNPRICED_WEIGHT to a plan's weight and nothing to its hours."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(weight), np.rint((weight - hours) / UNPRICED_WEIGHT), 0).astype(np.int64)


def _plan_skills(model, known, needs) -> frozenset:
    """The skills of the cheapest plan for ``needs`` (empty when there is none)."""
    try:
        return solve(model, known, list(needs)).skills
    except (NoPathError, CycleError):
        return frozenset()


#: Above this many postings :func:`next_skills` scores skills on the compiled index.
INDEX_THRESHOLD = 500

#: Postings listed per skill by the index-based :func:`next_skills` (all are counted).
MAX_LISTED = 50

#: Candidates whose unlocks the index-based :func:`next_skills` counts exactly (at least).
SHORTLIST = 100


def next_skills(kg, *, person=None, limit: int | None = None,
                exact_limit: int = EXACT_LIMIT, method: str = "auto") -> NextSkills:
    """The skills that unlock the most postings per hour of learning.

    Each candidate is a skill from the cheapest plan of some posting the
    person does not fully meet yet. Learning it means learning its *bundle*:
    the skill with its unmet prerequisites (cheapest choice). For each bundle
    the postings are re-planned: ``unlocks`` are the postings that become
    fully met, ``hours_removed`` the drop in their summed gap hours. Rows are
    sorted by postings unlocked per hour, then gap hours removed per hour,
    then fewest hours; bundles with skills that have no effort hours
    (``unpriced``: their hours are unknown) come after the others, fewest
    such skills first.

    Notes
    -----
    Choosing the *set* of skills that unlocks the most postings is, without
    an hour budget and without OR choices, a maximum-weight closure problem
    (Picard 1976; one minimum cut, see DOMAIN.md): postings are the weights,
    skills the costs, prerequisites the closure constraints. With an hour
    budget it becomes knapsack-like, and OR choices make it harder still. This
    function does not solve that set problem: it scores single skills (with
    their prerequisites) by the greedy ratio "postings unlocked per hour",
    which is the first step of the greedy heuristic. Learn the top skill,
    run it again, and the next row is the greedy's next step.

    Re-planning every posting for every candidate does not scale: above
    :data:`INDEX_THRESHOLD` postings (or with ``method="index"``; ``"plans"``
    forces re-planning) the compiled index scores the candidates instead
    (see :func:`_next_from_index`): the same ordering, on bounds rather than plans.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> n = next_skills(load())
    >>> all(s.hours > 0 for s in n.skills)
    True
    """
    if method not in ("auto", "plans", "index"):
        raise UsageError(f"unknown method {method!r}; choose auto, plans or index")
    person_iri, direct, lacks = _person(kg, person)
    model = skill_model(kg)
    known = model.closure(direct, lacks)
    if method != "plans":
        from .index import compiled_index

        idx = compiled_index(kg)
        if method == "index" or len(idx.rows_of("posting")) > INDEX_THRESHOLD:
            rows = _next_from_index(kg, idx, known, limit)
            return NextSkills(Ref.of(kg, person_iri), rows)
    postings = {p: requirements(kg, p)[0] for p in kg.entities("posting")}
    before = {p: solve(model, known, req, exact_limit=exact_limit) for p, req in postings.items()}
    open_postings = [p for p, req in postings.items() if any(r not in known for r in req)]
    candidates = sorted({s for p in open_postings for s in before[p].skills}, key=kg.curie)
    rows = []
    for skill in candidates:
        bundle = solve(model, known, [skill], exact_limit=exact_limit, restrict={skill: (skill,)})
        after_known = model.closure(direct | bundle.skills, lacks)
        unlocks, removed = [], 0.0
        for p in open_postings:
            req = postings[p]
            if all(r in after_known for r in req):
                unlocks.append(p)
                removed += before[p].hours
            else:
                removed += before[p].hours - solve(model, after_known, req, exact_limit=exact_limit).hours
        order = sorted(bundle.skills, key=kg.curie)
        rows.append(NextSkill(Ref.of(kg, skill), bundle.hours, tuple(Ref.of(kg, s) for s in order),
                              tuple(Ref.of(kg, p) for p in unlocks), round(removed, 9),
                              unpriced=len(bundle.unpriced)))
    rows.sort(key=_next_key)
    if limit is not None:
        rows = rows[:limit]
    return NextSkills(Ref.of(kg, person_iri), tuple(rows))


def _next_key(row: NextSkill) -> tuple:
    """Fewest skills without effort hours first (their hours are not known), then the most postings
    unlocked per hour, the most gap hours removed per hour, the fewest hours."""
    return (row.unpriced, -row.unlocks_per_hour, -row.removed_per_hour, row.hours, row.skill.curie)


def _next_from_index(kg, idx, known, limit) -> tuple:
    """:func:`next_skills` on the compiled index: every candidate scored at once.

    Candidates are the skills that open postings require and the person
    lacks (broad skills met by a choice are left out: learn one of their
    options). For a candidate ``s``:

    * ``hours``: ``s`` with its unmet forced closure, plus the cheapest
      option of each choice on its frontier (the index's upper bound);
    * learning it makes known what holding ``s`` implies (its broader
      skills and prerequisites, transitively): call that ``N``;
    * ``hours_removed``: the drop in the summed lower bounds of all
      postings, ``sum over y in N of hours(y) x postings whose forced
      closure holds y``: one sparse product for all candidates;
    * ``unlocks``: the open postings whose missing requirements all fall in
      ``N``, counted exactly for a shortlist (the candidates that rank best
      on postings missing one requirement, then on gap hours removed).
    """
    import numpy as np

    from .index import _lines, _selected_row_sums

    posting_rows = idx.rows_of("posting")
    if len(posting_rows) == 0:
        return ()
    n_skills = len(idx.skills)
    mask = idx.mask(known)
    unknown = ~mask
    # the postings' requirements as (posting, skill) entries, with numpy alone (no scipy import)
    columns, counts = _lines(idx.requires, posting_rows)
    entry_posting = np.repeat(np.arange(len(posting_rows)), counts)
    lacks = unknown[columns]
    missing = np.bincount(entry_posting[lacks], minlength=len(posting_rows))
    open_rows = missing > 0
    lacking_posting, lacking_skill = entry_posting[lacks], columns[lacks]
    choice = np.diff(idx.skill_fixed.indptr) == 0
    candidates = np.flatnonzero((np.bincount(lacking_skill, minlength=n_skills) > 0) & ~choice)
    if len(candidates) == 0:
        return ()
    beta_h, beta_w = idx.choice_costs(mask)
    vh = idx.hours * unknown
    hours = (_selected_row_sums(idx.skill_fixed, candidates, vh)
             + _selected_row_sums(idx.skill_frontier, candidates, beta_h))
    if idx.priced_weight:
        unpriced = np.zeros(len(candidates), dtype=np.int64)
    else:  # skills of the bundle without effort hours: what its weight has over its hours
        weight = (_selected_row_sums(idx.skill_fixed, candidates, idx.weight * unknown)
                  + _selected_row_sums(idx.skill_frontier, candidates, beta_w))
        unpriced = _unpriced_in(weight, hours)
    holding = np.bincount(_lines(idx.fixed, posting_rows)[0], minlength=n_skills)
    one_missing = np.bincount(lacking_skill[missing[lacking_posting] == 1], minlength=n_skills)
    removed = _selected_row_sums(idx.closure, candidates, vh * holding)
    unlock_one = _selected_row_sums(idx.closure, candidates, one_missing * unknown)
    usable = np.isfinite(hours)
    safe = np.where(usable & (hours > 0), hours, 1.0)  # a bundle of 0 h (all unpriced): per bundle, as NextSkill
    order = np.lexsort((hours, -np.where(usable, removed / safe, 0), -np.where(usable, unlock_one / safe, 0),
                        unpriced))
    # each requirement's postings (by column over all targets), as positions among the postings
    requires_by_column = idx._by_column()[1]
    posting_of_row = np.full(len(idx.targets), -1)
    posting_of_row[posting_rows] = np.arange(len(posting_rows))
    closure = idx.closure
    scored = []
    for c in order[:max(SHORTLIST, 5 * (limit or 0))]:
        if not usable[c]:
            continue
        s = candidates[c]
        gained = closure.indices[closure.indptr[s]:closure.indptr[s + 1]]
        gained = gained[unknown[gained]]
        held_by = posting_of_row[_lines(requires_by_column, gained)[0]]
        covered = np.bincount(held_by[held_by >= 0], minlength=len(posting_rows))
        unlocked = np.flatnonzero(open_rows & (covered >= missing))
        h, r = round(float(hours[c]), 6), round(float(removed[c]), 6)
        per = h or 1.0
        scored.append(((int(unpriced[c]), -len(unlocked) / per, -r / per, h,
                        kg.curie(URIRef(idx.skills[candidates[c]]))), c, unlocked))
    scored.sort(key=lambda item: item[0])
    rows = []
    for (_, _, _, h, _), c, unlocked in scored[:limit] if limit else scored:
        s = candidates[c]
        own = idx.skill_fixed.indices[idx.skill_fixed.indptr[s]:idx.skill_fixed.indptr[s + 1]]
        bundle = sorted(URIRef(idx.skills[k]) for k in own if unknown[k])
        listed = [URIRef(idx.targets[posting_rows[j]]) for j in unlocked[:MAX_LISTED]]
        rows.append(NextSkill(Ref.of(kg, URIRef(idx.skills[s])), h, tuple(Ref.of(kg, b) for b in bundle),
                              tuple(Ref.of(kg, p) for p in listed), round(float(removed[c]), 6),
                              unlocked=len(unlocked), unpriced=int(unpriced[c])))
    return tuple(rows)
