"""Learning paths: the fewest hours of learning that meet a posting's or role's requirements.

The problem is a minimum-cost closure on an AND/OR graph. Every unmet
requirement must be met (AND), together with every unmet prerequisite of
everything learned (AND); a requirement on a broad skill is met by learning
any skill in its narrower closure that has effort hours (OR). Shared
prerequisites are paid once. Minimising the total is NP-hard (it contains set
cover), so :func:`solve` runs an exact branch and bound within a node budget
and a work budget and, past them, returns the best plan found with a proven
lower bound. The bound splits the cost of shared skills among the open
choices, so choices that do not interact are proven optimal together at no
extra search. The work budget (counted in skills touched, so answers do not
depend on the machine's speed) keeps one plan on an ESCO-sized taxonomy,
hundreds of skills long, to a few tens of milliseconds; on small graphs the
search finishes long before either budget.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

from .convert import UNPRICED_WEIGHT, situation
from .errors import CycleError, NoPathError, UsageError
from .plans import Alternative, LearningPath, MetRequirement, OptionalSkill, Ref, Step
from .resolve import prefetch_labels

__all__ = ["EXACT_LIMIT", "WORK_LIMIT", "MAX_ALTERNATIVES", "Solution", "solve", "schedule", "order_plan",
           "learning_order", "learning_path", "how_met"]

#: Search nodes :func:`solve` expands before it settles for the best plan found so far.
#: A node is one partial plan; realistic postings (a handful of OR choices) need
#: a few dozen. Choices that share no skills are proven optimal together by the
#: bound (about one node each); choices that do share can need up to the product
#: of their options.
EXACT_LIMIT = 20_000

#: Work :func:`solve` does before it settles for the best plan found so far, counted
#: in skills touched (propagated, priced or checked for an order): a
#: deterministic clock (a few microseconds a unit) that bounds the search on
#: large taxonomies, where one node handles a plan of hundreds of skills. The
#: bundled data and the property tests' graphs need a few hundred at most. On
#: the benchmark's ESCO-sized data the first plan takes about 2,500 (a posting)
#: to 6,000 (a 40-skill role); proving a posting's plan optimal, when the search
#: can, takes up to about 12,000 (measured on 100 postings: 13 proven with
#: 5,000, 15 with 8,000, 19 with 12,000), while a role's plan is not proven
#: with 20,000 either (the learning order adds hours the bound cannot see) and
#: barely improves (0.01%). 8,000 keeps one plan within the 50 ms target.
WORK_LIMIT = 8_000

#: Alternatives priced per OR choice in a :class:`LearningPath` (the cheapest first).
MAX_ALTERNATIVES = 10


def _add(a: float, b: float) -> float:
    return round(a + b, 6)


@dataclass(frozen=True)
class Solution:
    """What :func:`solve` found: the skills to learn and their total hours.

    ``exact`` is true when the plan is proven optimal; otherwise
    ``lower_bound <= optimum <= hours``. ``unpriced`` are the skills learned
    without effort hours (counted as 0 in ``hours``); ``nodes`` the search
    nodes expanded and ``work`` the work spent (see :data:`WORK_LIMIT`).
    """

    skills: frozenset
    hours: float
    exact: bool
    lower_bound: float
    nodes: int
    unpriced: frozenset = frozenset()
    work: int = 0


@dataclass(frozen=True)
class _State:
    plan: frozenset
    covered: frozenset
    cost: float
    open: tuple
    last: object = None
    done: frozenset = frozenset()   # a part of the plan known to be orderable (see _stuck)
    cover: frozenset = frozenset()  # what ``done`` meets


class _Search:
    """Branch and bound over the OR choices; see :func:`solve`."""

    def __init__(self, model, known, restrict=None):
        self.model = model
        self.known = known
        order = lambda s: (model.weight(s), str(s))  # noqa: E731  (cheapest first, as model.options)
        self.restrict = {k: tuple(sorted(v, key=order)) for k, v in (restrict or {}).items()}
        self.work = 0  # skills touched so far: the deterministic clock of the work budget

    def options(self, skill) -> tuple:
        return self.restrict.get(skill) or self.model.options(skill)

    def propagate(self, state: _State, add=None, agenda=()) -> _State:
        """Add ``add``, then apply every forced choice; the unmet OR choices stay open."""
        model, known, restrict = self.model, self.known, self.restrict
        options, up, needs_rev = model.options, model.up, model.needs_rev
        opt_get, up_get, rev_get, hours_get = model._options.get, model._up.get, model._needs_rev.get, \
            model.hours.get
        plan, covered = set(state.plan), set(state.covered)
        added = []
        stack = list(state.open)
        if add is not None:
            plan.add(add)
            covered.update(up(add))
            added.append(hours_get(add, UNPRICED_WEIGHT))
            stack.extend(needs_rev(add))
        stack.extend(sorted(agenda, key=str, reverse=True))
        open_ = set()
        work = len(stack)
        pop, push = stack.pop, stack.extend
        while stack:
            skill = pop()
            if skill in known or skill in covered:
                continue
            opts = (restrict.get(skill) if restrict else None) or opt_get(skill) or options(skill)
            if len(opts) == 1:
                t = opts[0]
                plan.add(t)
                covered.update(up_get(t) or up(t))
                added.append(hours_get(t, UNPRICED_WEIGHT))
                found = rev_get(t)
                if found is None:
                    found = needs_rev(t)
                work += len(found)
                push(found)
            else:
                open_.add(skill)
        self.work += work
        cost = _add(state.cost, math.fsum(added)) if added else state.cost
        still = tuple(sorted((s for s in open_ if s not in covered), key=str))
        return _State(frozenset(plan), frozenset(covered), cost, still, add, state.done, state.cover)

    def closure(self, skill, plan, covered, cap=math.inf, owners=(), exclude=frozenset(),
                blocked=frozenset()):
        """What learning ``skill`` forces beyond ``plan``: ``(price, skills, open needs)``.

        Depth-first over the needs not met by ``covered`` (nor known): a need
        with one option adds it, a need with several is an open need. ``price``
        sums the weights of the skills found, or, with ``owners`` (pairs of a
        claims dict and a key), of the skills all of whose claims are (or now
        become) that key: the cost-splitting of :meth:`bound`. Once the price
        reaches ``cap`` the walk stops and returns ``(price, None, None)``; so it
        does, with an infinite price, when the walk needs a skill in ``blocked``.
        """
        model, known, restrict = self.model, self.known, self.restrict
        options, needs_rev = model.options, model.needs_rev
        opt_get, rev_get, hours_get = model._options.get, model._needs_rev.get, model.hours.get
        seen = set()
        nested = []
        price = 0.0
        stack = [skill]
        while stack:
            s = stack.pop()
            if s in blocked:
                self.work += 1 + len(seen)
                return math.inf, None, None
            if s in seen or s in plan or s in exclude:
                continue
            seen.add(s)
            if not owners or all(claims.setdefault(s, key) is key for claims, key in owners):
                price += hours_get(s, UNPRICED_WEIGHT)
                if price >= cap:
                    self.work += 1 + len(seen)
                    return price, None, None
            found = rev_get(s)
            if found is None:
                found = needs_rev(s)
            for n in found:
                if n in known or n in covered:
                    continue
                opts = (restrict.get(n) if restrict else None) or opt_get(n) or options(n)
                if len(opts) == 1:
                    stack.append(opts[0])
                else:
                    nested.append(n)
        self.work += 1 + len(seen)
        if nested:
            up = model.up
            nested = [n for n in dict.fromkeys(nested) if not any(n in up(s) for s in seen)]
        return price, seen, nested

    def price(self, skill, state: _State, cap=math.inf, owners=(), covered=None,
              blocked=frozenset()) -> float:
        """:meth:`closure`'s price of ``skill`` plus, per open need it leaves, its cheapest option's.

        Without ``owners`` an estimate (the open needs' prices may overlap); with
        them a lower bound on the owned skills' weight in any plan that learns
        ``skill``: the open needs split the skills again among themselves.
        ``covered`` (the state's by default) and ``blocked`` go to :meth:`closure`.
        """
        plan = state.plan
        covered = state.covered if covered is None else covered
        price, seen, nested = self.closure(skill, plan, covered, cap, owners, blocked=blocked)
        if not nested:
            return price
        nested.sort(key=str)
        sub: dict = {}
        weight = self.model.weight
        for n in nested:
            least = cap - price
            own = owners + ((sub, n),) if owners else ()
            for t in self.options(n):  # cheapest first
                if weight(t) >= least and _claim(t, own):
                    if not owners:
                        break  # this and every later option cost at least least
                    continue
                v = self.closure(t, plan, covered, least, own, seen, blocked)[0]
                if v < least:
                    least = v
            price += least
            if price >= cap:
                return price
        return price

    def bound(self, state: _State) -> tuple[float, dict, dict]:
        """A lower bound on the hours still to add: ``(total, {choice: its share}, claims)``.

        Cost splitting: each skill is owned by the first open choice that
        reaches it, and a choice counts only what it owns, so the choices'
        cheapest prices add up (a plan pays each skill once, and meets each
        choice with one of its options and all that option forces).
        """
        owners: dict = {}
        shares = {}
        weight = self.model.weight
        for q in state.open:  # first the cheapest price of each choice: it caps the claims below
            least = math.inf
            for o in self.options(q):  # cheapest first
                if weight(o) >= least:
                    break
                v = self.price(o, state, least)
                if v < least:
                    least = v
            shares[q] = least
        for q in state.open:
            least = shares[q]
            claims = ((owners, q),)
            for o in self.options(q):
                if weight(o) >= least and _claim(o, claims):
                    continue
                v = self.price(o, state, least, claims)
                if v < least:
                    least = v
            shares[q] = least
        return math.fsum(shares.values()), shares, owners


def _claim(skill, owners) -> bool:
    """Claim ``skill`` as :meth:`_Search.closure` does and say whether it counts (always without owners).

    A skill that counts and weighs at least a cap prices at least the cap, so
    the search skips its walk; it must still claim it, or two choices could
    both count it.
    """
    return all(claims.setdefault(skill, key) is key for claims, key in owners)


def schedule(model, known, plan) -> tuple[list, list, list]:
    """Order ``plan`` so each skill's needs are met before it, if possible.

    Greedy: repeatedly learn the first (by ``str``) skill whose needs are all
    met by ``known`` or by what is already learned. Learning only adds
    knowledge, so this finds an order whenever one exists.

    Returns ``(order, edges, stuck)``: ``edges`` are ``(cover, skill, need)``
    with ``cover`` the earliest learned skill that meets ``need`` of ``skill``;
    ``stuck`` lists the ``(skill, need)`` pairs no order can satisfy (empty
    when the plan is orderable).
    """
    remaining = sorted(plan, key=str)
    needs_of = {s: [q for q in model.sorted_needs(s) if q not in known] for s in remaining}
    cover_of: dict = {}
    order, edges = [], []
    progress = True
    while remaining and progress:
        progress = False
        left = []
        for skill in remaining:
            needs = needs_of[skill]
            if all(q in cover_of for q in needs):
                order.append(skill)
                edges.extend((cover_of[q], skill, q) for q in needs)
                for b in model.up(skill):
                    if b not in cover_of:
                        cover_of[b] = skill
                progress = True
            else:
                left.append(skill)
        remaining = left
    stuck = [(s, q) for s in remaining for q in sorted(model.needs(s), key=str)
             if q not in known and q not in cover_of]
    return order, edges, stuck


def unorderable(model, known, plan) -> list:
    """The ``(skill, need)`` pairs of ``plan`` that no learning order can satisfy.

    The same answer as ``schedule(...)[2]`` in time linear in the plan's
    needs (a Kahn-style sweep: a need is met once any skill covering it is
    learned), for the search's many complete plans; :func:`schedule` then
    orders the one plan chosen.
    """
    return _stuck(plan, lambda s: [q for q in model.needs(s) if q not in known], model.up)[0]


def _stuck(plan, unmet, up, done=frozenset(), cover=frozenset(),
           known=frozenset()) -> tuple[list, frozenset, frozenset]:
    """:func:`unorderable` with ``unmet(skill)`` giving the needs (not known, or see ``known``).

    Incremental: ``done`` is a part of ``plan`` already known to be orderable
    and ``cover`` everything it meets (``up`` of its skills), as returned by an
    earlier call on a smaller plan; only the other skills are swept. Returns
    ``(stuck pairs, orderable part, what it meets)``; the orderable part is
    the largest one, whatever ``done`` was, so the pairs are the same.
    Needs in ``known`` are met already (for an ``unmet`` that does not drop them).
    """
    waiting: dict = {}   # need -> skills still waiting for it
    missing: dict = {}   # skill -> how many of its needs are still unmet
    ready = []
    for skill in plan:
        if skill in done:
            continue
        needs = [q for q in unmet(skill) if q not in cover and q not in known]
        missing[skill] = len(needs)
        for q in needs:
            waiting.setdefault(q, []).append(skill)
        if not needs:
            ready.append(skill)
    covered = set(cover)
    while ready:
        skill = ready.pop()
        for b in up(skill):
            if b in covered:
                continue
            covered.add(b)
            for other in waiting.pop(b, ()):
                missing[other] -= 1
                if missing[other] == 0:
                    ready.append(other)
    if all(n == 0 for n in missing.values()):
        return [], plan, frozenset(covered)
    stuck = [(s, q) for s in sorted((s for s, n in missing.items() if n), key=str)
             for q in sorted(unmet(s), key=str) if q not in covered and q not in known]
    return stuck, frozenset(s for s in plan if not missing.get(s)), frozenset(covered)


def solve(model, known, needs, *, exact_limit: int = EXACT_LIMIT, work_limit: int = WORK_LIMIT,
          restrict=None) -> Solution:
    """The cheapest set of skills to learn so that every skill in ``needs`` is met.

    Works on plain data so it can run on large taxonomies: ``model`` is a
    :class:`~careergraph.graph.convert.SkillModel`, ``known`` a set (or dict)
    of skills counted as known, closed under broader skills and prerequisites
    (:meth:`SkillModel.closure`).

    A skill is met when it is known or is in the ``up`` closure of a learned
    skill. Every learned skill's ``needs`` must be met too, and there must be
    an order in which each skill's needs are met before it.

    Parameters
    ----------
    model : SkillModel
    known : set or dict
    needs : iterable
        The skills to meet.
    exact_limit : int
        Search nodes to expand before settling for the best plan found
        (see :data:`EXACT_LIMIT`). The first plan is always completed.
    work_limit : int
        Work (skills touched, see :data:`WORK_LIMIT`) before settling for the
        best plan found; whichever budget runs out first stops the search.
    restrict : dict, optional
        ``{skill: options}`` replacing the options of some requirements (used
        to price an alternative: "meet X with Y instead").

    Returns
    -------
    Solution

    Raises
    ------
    CycleError, NoPathError
        No order of learning can meet the prerequisites.

    Notes
    -----
    Depth-first branch and bound. Forced choices (a need with one option) are
    applied eagerly; the search branches on the open OR choice with the
    fewest options, trying the options cheapest first by their price: the
    hours of the option and of everything it forces beyond the plan so far
    (its unmet prerequisites with one option, transitively), plus the
    cheapest price of each OR need it leaves open. Prices stop at the
    cheapest found so far, so ordering a choice's options costs little; the
    first plan found is the greedy plan.

    The bound (at the root and, once a plan is known, at every node) splits
    costs: each skill the prices reach belongs to the first open choice that
    reaches it, and each choice counts its cheapest option at the skills it
    owns only (so a skill several choices could share is counted once);
    since a plan meets every open choice with some option and all that
    option forces, the hours so far plus these shares bound any completion.
    Choices that share nothing (the common case) are priced in full, so
    independent choices are solved at once, without search over their
    combinations. A child's bound swaps its choice's share for its own
    option's, so hopeless options are pruned before they are built. The
    bound ignores the learning order, so it stays a bound when the order
    forces extra skills (see below). When a budget runs out (nodes or work),
    the lower bound reported is the smallest bound among the unexplored
    nodes (or the best plan, if smaller). The work budget is what keeps an
    ESCO-sized requirement list fast: there a plan has hundreds of skills,
    each node costs work in proportion (a complete plan is charged its size
    for the order check, which itself only sweeps the skills added since the
    parent's check), and the search stops soon after the greedy plan.

    A plan whose skills cannot be ordered (a need met only by a skill that
    itself depends on the needing one, possible when inherited prerequisites
    meet the hierarchy) is not accepted: the search branches on the other
    options of the needs left unmet, first the cheapest that can be learned
    right away (an option that needs a blocked skill, directly or through
    an open need, comes last).

    Examples
    --------
    >>> from careergraph.graph.convert import SkillModel
    >>> m = SkillModel.from_edges(
    ...     {"dart": 80, "flutter": 120, "bloc": 30, "provider": 15},
    ...     prerequisites=[("flutter", "dart"), ("bloc", "flutter"), ("provider", "flutter")],
    ...     broader=[("bloc", "state"), ("provider", "state")])
    >>> s = solve(m, known={"dart"}, needs=["state"])
    >>> sorted(s.skills), s.hours, s.exact
    (['flutter', 'provider'], 135.0, True)
    """
    return _run(_Search(model, known, restrict), needs, exact_limit, work_limit)


def _run(search: _Search, needs, exact_limit: int, work_limit: int, root: _State | None = None) -> Solution:
    """The branch and bound of :func:`solve` on a prepared search.

    ``root`` is the propagated root state when the caller has it: the forced
    skills of ``needs`` do not depend on the order they are found in, so a
    root for more requirements can grow from a root for fewer.
    """
    model = search.model
    weight = model.weight
    if root is None:
        root = search.propagate(_State(frozenset(), frozenset(), 0.0, ()), agenda=set(needs))
    best, best_cost = None, math.inf
    # Stack items: (lower bound, state, skill to add to it or None). Children are
    # propagated only when popped, so a child whose bound already reaches the
    # best plan costs nothing.
    stack = [(root.cost, root, None)]
    nodes = 0
    pending: list[float] = []
    first_stuck = None
    while stack:
        bound, state, add = stack.pop()
        if bound >= best_cost:
            continue
        if best is not None and (nodes >= exact_limit or search.work >= work_limit):
            pending = [bound, *(item[0] for item in stack)]
            break
        if add is not None:
            state = search.propagate(state, add=add)
            bound = max(bound, state.cost)
            if bound >= best_cost:
                continue
        nodes += 1
        if not state.open:
            search.work += len(state.plan)
            stuck, done, cover = _stuck(state.plan, model.sorted_needs, model.up, state.done, state.cover,
                                        search.known)
            if not stuck:
                best, best_cost = state.plan, _add(math.fsum(sorted(weight(s) for s in state.plan)), 0)
                continue
            first_stuck = first_stuck or stuck
            choices = {o for _, q in stuck for o in search.options(q)} - state.plan
            state = _State(state.plan, state.covered, state.cost, state.open, state.last, done, cover)
            children = [(max(bound, _add(state.cost, weight(o))), o) for o in choices]
            children = _ordered(search, state, children, cover, state.plan - done)
            stack.extend((low, state, o) for low, o in reversed(children))
            continue
        need = min(state.open, key=lambda s: (len(search.options(s)), str(s)))
        if best is None and add is not None:  # still on the first descent: no bound needed yet
            children = [(bound, o) for o in search.options(need)]
        else:
            total, shares, owners = search.bound(state)
            bound = max(bound, _add(state.cost, total))
            if bound >= best_cost:
                continue
            if best is None:  # the root: no plan to prune against yet
                children = [(bound, o) for o in search.options(need)]
            else:  # each child's bound: the others' shares plus its own price in this choice's share
                rest, claims = _add(state.cost, total - shares[need]), ((owners, need),)
                children = []
                for o in search.options(need):
                    low = max(bound, _add(rest, search.price(o, state, best_cost - rest, claims)))
                    if low < best_cost:
                        children.append((low, o))
        state = _State(state.plan, state.covered, state.cost,
                       tuple(s for s in state.open if s != need), state.last, state.done, state.cover)
        children = _ordered(search, state, children)
        stack.extend((low, state, o) for low, o in reversed(children))
    if best is None:
        raise _unorderable(model, first_stuck or [])
    lower = min([best_cost, *(b for b in pending if b < best_cost)])
    unpriced = frozenset(s for s in best if not model.priced(s))
    hours = _add(math.fsum(sorted(model.cost(s) for s in best)), 0)
    if lower >= best_cost:
        return Solution(best, hours, True, hours, nodes, unpriced, search.work)
    # The optimum has at most as many unpriced skills as the plan found.
    lower_hours = max(0.0, _add(lower, -UNPRICED_WEIGHT * len(unpriced)))
    return Solution(best, hours, False, min(lower_hours, hours), nodes, unpriced, search.work)


def _ordered(search: _Search, state: _State, children: list, covered=None, blocked=frozenset()) -> list:
    """``children`` (pairs of a bound and an option) cheapest first by the options' prices.

    Each price is capped at the least found so far, so the cheapest is exact
    and the others cost little: a rough order past the first is enough. To
    unblock a plan that cannot be ordered, ``covered`` is what its orderable
    part meets and ``blocked`` the rest: an option that needs a blocked skill
    comes last.
    """
    covered = state.covered if covered is None else covered
    weight = search.model.weight
    least = math.inf
    keyed = []
    for low, o in sorted(children, key=lambda c: (weight(c[1]), str(c[1]))):
        v = search.price(o, state, least, (), covered, blocked) if weight(o) < least else weight(o)
        if v < least:
            least = v
        keyed.append((v, weight(o), str(o), low, o))
    keyed.sort(key=lambda k: k[:3])
    return [(low, o) for *_, low, o in keyed]


def _unorderable(model, stuck) -> Exception:
    from .resolve import curie

    edges: dict = {}
    for skill, need in stuck:
        edges.setdefault(skill, set()).update(s for s, _ in stuck if need in model.up(s))
    from .checks import find_cycle

    cycle = find_cycle(edges)
    if cycle:
        chain = " -> ".join(curie(s) for s in cycle)
        return CycleError(f"prerequisite cycle (through skos:broader): {chain}", cycle=cycle)
    pairs = ", ".join(f"{curie(s)} needs {curie(q)} first" for s, q in stuck[:5])
    return NoPathError(f"no order of learning meets the prerequisites: {pairs}")


def order_plan(model, known, skills, *, key=str) -> tuple[list, list]:
    """The steps of a plan in learning order, and the ``(cover, skill, need)`` edges behind it.

    The order is the lexicographical topological sort of the prerequisite
    edges among the plan's skills (ties broken by ``key``, then by the order
    of ``skills``), so every prerequisite comes before what needs it: the
    order ``networkx.lexicographical_topological_sort`` gives, computed
    here without importing networkx.

    Raises
    ------
    CycleError, NoPathError
        The skills cannot be ordered.
    """
    _, edges, stuck = schedule(model, known, skills)
    if stuck:
        raise _unorderable(model, stuck)
    order = learning_order(skills, [(c, s) for c, s, _ in edges], key=key)
    return order, edges


def learning_order(nodes, pairs, *, key=str) -> list:
    """``nodes`` sorted so that ``a`` comes before ``b`` for every pair ``(a, b)``, ties by ``key``.

    The lexicographical topological sort: of the nodes whose predecessors
    are all placed, the least by ``key`` (then by first appearance in
    ``nodes``, then in ``pairs``) comes next. It is the order
    ``networkx.lexicographical_topological_sort`` gives, without importing
    networkx (a fifth of a second for a command that plans one path).

    Raises
    ------
    CycleError
        The pairs contain a cycle.

    Examples
    --------
    >>> learning_order(["dart", "bloc", "flutter"], [("dart", "flutter"), ("flutter", "bloc")])
    ['dart', 'flutter', 'bloc']
    """
    import heapq

    seen = dict.fromkeys(nodes)
    after: dict = {}
    for a, b in pairs:
        seen.setdefault(a)
        seen.setdefault(b)
        after.setdefault(a, {})[b] = None  # one edge per pair, as in a DiGraph
    position = {n: i for i, n in enumerate(seen)}
    waiting: dict = {}
    for targets in after.values():
        for b in targets:
            waiting[b] = waiting.get(b, 0) + 1
    ready = [(key(n), position[n], n) for n in seen if n not in waiting]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)[2]
        order.append(node)
        for b in after.get(node, ()):
            waiting[b] -= 1
            if waiting[b] == 0:
                del waiting[b]
                heapq.heappush(ready, (key(b), position[b], b))
    if waiting:
        raise CycleError("prerequisite cycle among the planned skills", cycle=sorted(waiting, key=position.get))
    return order


def how_met(model, direct, known, skill) -> tuple[str, object]:
    """How a known ``skill`` is met: ``(via, held skill)``, via ``direct``, ``narrower`` or ``prerequisite``."""
    if skill in direct:
        return "direct", skill
    narrower = sorted((s for s in model.down(skill) if s in direct), key=str)
    if narrower:
        return "narrower", narrower[0]
    return "prerequisite", known[skill][0]


def learning_path(kg, person, target, *, optional: bool = False, hours_per_week: float = 10,
                  exact_limit: int = EXACT_LIMIT, work_limit: int = WORK_LIMIT) -> LearningPath:
    """The cheapest ordered plan from ``person``'s skills to ``target``.

    Parameters
    ----------
    kg : KnowledgeGraph
    person : str, IRI or None
        The person (IRI, CURIE or label); None picks the only person in the data.
    target : str or IRI
        A posting or a role (IRI, CURIE or label).
    optional : bool
        Also learn the posting's preferred (``cg:prefersSkill``) skills.
    hours_per_week : float
        Pace for the ``weeks`` estimate.
    exact_limit : int
        Node budget of each exact search (see :func:`solve`).
    work_limit : int
        Work budget of the whole call, shared by its searches (see
        :data:`WORK_LIMIT` and the Notes).

    Returns
    -------
    LearningPath

    Raises
    ------
    UnknownEntityError, AmbiguousEntityError
        The person or target name does not denote one entity.
    UsageError
        No person given and the data has none or several; ``hours_per_week`` not positive.

    Notes
    -----
    A requirement is met when the person holds the skill or a narrower one
    (transitively); the prerequisites of a held skill count as held (except a
    skill the person explicitly lacks, ``cg:lacksSkill``). Every unmet
    essential requirement is learned with its unmet prerequisites; OR choices
    (a broad requirement met by any narrower skill, or by the broad skill
    itself when it has hours) are made to minimise the total hours, shared
    prerequisites counted once.

    One work budget bounds the whole call, so a plan on an ESCO-sized
    taxonomy stays fast. The plan's search gets it first (past it the plan is
    ``approximate``, with a lower bound); what is left prices, in this order,
    the plan with the optional skills, each optional skill's extra hours and
    the alternatives of each OR choice (choices in ``str`` order, each
    choice's cheapest options first). A search started with no budget left
    still completes its greedy first plan, so an extra priced then is an
    upper bound, not the least total. An alternative is priced only while
    the budget left covers the work the plan's own search took (each is a
    search of the same size), so alternatives left then are not listed. On
    small graphs every search is exact and every alternative listed.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> kg = load()
    >>> plan = learning_path(kg, None, "posting:effective-senior-flutter-developer")
    >>> plan.total_hours == sum(s.hours for s in plan.steps)
    True
    """
    if not hours_per_week or hours_per_week <= 0:
        raise UsageError(f"hours per week must be positive, not {hours_per_week}")
    person_iri, target_iri, model, known, direct, essential, preferred = situation(kg, person, target)
    needs = list(essential) + (list(preferred) if optional else [])
    ref = _refs(kg)

    budget = _Budget(work_limit)
    search = _Search(model, known)
    root = search.propagate(_State(frozenset(), frozenset(), 0.0, ()), agenda=set(essential))
    base = budget.spend(_run(search, essential, exact_limit, budget.left, root))

    def more(extra):  # the same search with more requirements, from the essential ones' forced skills
        again = _Search(model, known)
        return budget.spend(_run(again, [*essential, *extra], exact_limit, budget.left,
                                 again.propagate(root, agenda=set(extra))))

    sol = base
    if optional and preferred:
        sol = more(preferred)
    # the names shown, at once (on a SPARQL endpoint: one request, not one per skill)
    prefetch_labels(kg, {person_iri, target_iri, *sol.skills, *essential, *preferred, *direct})
    order, edges = order_plan(model, known, sol.skills, key=lambda s: ref(s).curie)

    extras = []
    for o in preferred:
        if o in known:
            extras.append(OptionalSkill(ref(o), True, 0.0, optional))
        else:
            extras.append(OptionalSkill(ref(o), False, _add(more([o]).hours, -base.hours), optional))
    alternatives = _alternatives(search, needs, sol, exact_limit, budget)
    prefetch_labels(kg, {x for _, (o, _, _, need) in alternatives for x in (o, need)})
    position = {s: i for i, s in enumerate(order)}
    users_of: dict = {}
    for c, s, _ in edges:
        users_of.setdefault(c, set()).add(s)
    rank = {r: i for i, r in enumerate(essential) if r not in known}  # requirements still to meet
    optional_rank = {r: i for i, r in enumerate(preferred) if r not in known} if optional else {}
    alternatives_of: dict = {}
    for chosen, (o, own, hours, need) in alternatives:
        alternatives_of.setdefault(chosen, []).append(Alternative(ref(o), own, hours, ref(need)))
    steps = []
    for i, skill in enumerate(order, start=1):
        up = model.up(skill)
        users = sorted(users_of.get(skill, ()), key=position.get)
        steps.append(Step(
            position=i,
            skill=ref(skill),
            hours=model.cost(skill),
            priced=model.priced(skill),
            required_for=tuple(ref(r) for r in sorted((r for r in up if r in rank), key=rank.get)),
            optional_for=tuple(ref(r) for r in sorted((r for r in up if r in optional_rank),
                                                      key=optional_rank.get)),
            prerequisite_of=tuple(ref(s) for s in users),
            alternatives=tuple(alternatives_of.get(skill, ())),
        ))

    met = []
    for r, is_essential in [(r, True) for r in essential] + [(r, False) for r in preferred]:
        if r in known:
            via, held = how_met(model, direct, known, r)
            met.append(MetRequirement(ref(r), via, ref(held), is_essential))
    total = _add(math.fsum(s.hours for s in steps), 0)
    return LearningPath(
        person=ref(person_iri),
        target=ref(target_iri),
        target_kind=kg.kind_of(target_iri) or "posting",
        steps=tuple(steps),
        total_hours=total,
        hours_per_week=float(hours_per_week),
        met=tuple(met),
        missing=tuple(ref(r) for r in essential if r not in known),
        optional=tuple(extras),
        approximate=not sol.exact,
        lower_bound=sol.lower_bound,
        unpriced=tuple(ref(s) for s in order if not model.priced(s)),
    )


_REFS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _refs(kg):
    """A function from IRI to :class:`Ref`, cached per graph while it is unchanged (as the skill model is):
    labels come from rdflib lookups, the largest part of building a long plan's result."""
    size = kg.content_key() if hasattr(kg, "content_key") else len(kg)  # no triple count on Oxigraph
    try:
        cached = _REFS.get(kg)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is None or cached[0] != size:
        cached = (size, {})
        try:
            _REFS[kg] = cached
        except TypeError:
            pass
    cache = cached[1]

    def ref(iri) -> Ref:
        found = cache.get(iri)
        if found is None:
            found = cache[iri] = Ref.of(kg, iri)
        return found

    return ref


class _Budget:
    """The work left to the searches of one :func:`learning_path` call."""

    def __init__(self, work: int):
        self.left = work

    def spend(self, sol: Solution) -> Solution:
        self.left -= sol.work
        return sol


def _alternatives(search: _Search, needs, sol: Solution, exact_limit: int, budget: _Budget) -> list:
    """``(chosen skill, (other, own hours, plan hours, need))`` for the OR choices the plan made.

    Each alternative is priced by a search restricted to it, while ``budget``
    covers the work of the plan's own search (see :func:`learning_path`).
    """
    model, known = search.model, search.known
    choice_points = set(needs) | {q for s in sol.skills for q in model.needs(s)}
    found = []
    for need in sorted(choice_points, key=str):
        if budget.left < sol.work:
            break
        options = model.options(need)
        if need in known or len(options) < 2:
            continue
        chosen = [o for o in options if o in sol.skills]
        if not chosen:
            continue
        others = [o for o in options if o not in sol.skills][:MAX_ALTERNATIVES]
        priced = []
        for other in others:
            if budget.left < sol.work:
                break
            try:
                alt = budget.spend(_run(_Search(model, known, {need: (other,)}), needs,
                                        exact_limit, budget.left))
            except (CycleError, NoPathError):
                continue
            if len(alt.unpriced) > len(sol.unpriced):
                continue  # only reachable through a skill without hours: not a comparable price
            priced.append((alt.hours, model.cost(other), str(other), other))
        for hours, own, _, other in sorted(priced):
            found.append((chosen[0], (other, own, hours, need)))
    return found
