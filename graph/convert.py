"""Views of the RDF knowledge graph as plain dicts and networkx graphs for the algorithms."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import weakref
from dataclasses import dataclass, field

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG, ESCO, SCHEMA

from .checks import find_cycle
from .errors import CycleError, UsageError

if TYPE_CHECKING:  # networkx is imported where a graph is built: most commands never need it
    import networkx as nx

__all__ = [
    "UNPRICED_WEIGHT",
    "Situation",
    "situation",
    "SkillModel",
    "skill_model",
    "prerequisite_graph",
    "hierarchy_graph",
    "skill_hours",
    "held_skills",
    "knowledge_graph",
    "resolve_person",
    "resolve_target",
    "requirements",
]

_VOCABULARIES = (
    str(CG._NS),
    "http://www.w3.org/",  # rdf, rdfs, owl, skos, xsd
    str(SCHEMA),
    str(ESCO),
    "http://purl.org/dc/",
)
# Relations that link an entity to a web page or a class, not to another entity.
_NOT_RELATIONS = {RDF.type, SCHEMA.url}

#: The weight of a skill without effort hours in the engine's objective: more
#: than any realistic plan's hours, so plans avoid unpriced skills first and
#: minimise hours second. Reported hours count unpriced skills as 0.
UNPRICED_WEIGHT = 1_000_000.0


@dataclass
class SkillModel:
    """The skill graph as plain dicts: what the learning-path engine runs on.

    Built once per knowledge graph by :func:`skill_model`; every lookup the
    engine makes is a dict access, so it scales to taxonomies of tens of
    thousands of skills.

    Attributes
    ----------
    hours : dict
        ``skill -> effort hours`` for the skills that have ``cg:effortHours``.
    prerequisites : dict
        ``skill -> frozenset`` of the skills to learn first (``cg:prerequisite``).
    broader : dict
        ``skill -> frozenset`` of its direct ``skos:broader`` skills.
    narrower : dict
        The inverse of ``broader``.

    Notes
    -----
    The semantics the engine relies on:

    * ``up(s)`` is ``s`` with every broader skill, transitively: learning or
      holding ``s`` meets a requirement on any of them.
    * ``options(s)`` are the skills one can learn to meet a requirement on
      ``s``: the *learnable* skills in ``s``'s narrower closure (``s``
      included). A skill is learnable when it has effort hours, or when
      neither it nor any narrower skill has any: such an unpriced skill is
      learned as itself, counted as 0 hours and flagged. A broad skill without
      hours but with priced narrower skills is only met through them.
    * ``weight(s)`` is what the engine minimises: the hours, or
      :data:`UNPRICED_WEIGHT` for an unpriced skill, so a plan uses an
      unpriced skill only when no priced way exists (fewest unpriced skills
      first, then fewest hours).
    * ``needs(s)``: what must be met before learning ``s``. A narrower skill
      is a kind of its broader skill, so it inherits the broader skills'
      prerequisites: ``needs(s)`` is the union of ``cg:prerequisite`` over
      ``up(s)``, minus ``up(s)`` itself (learning ``s`` already makes one an
      ``s``; "know some state management before BLoC" is met by BLoC).
    """

    hours: dict = field(default_factory=dict)
    prerequisites: dict = field(default_factory=dict)
    broader: dict = field(default_factory=dict)
    narrower: dict = field(default_factory=dict)

    def __post_init__(self):
        self._up: dict = {}
        self._down: dict = {}
        self._options: dict = {}
        self._needs: dict = {}
        self._sorted_needs: dict = {}
        self._needs_rev: dict = {}  # sorted needs, reversed: the order the engine's stacks push them

    @classmethod
    def from_edges(cls, hours, prerequisites=(), broader=()):
        """A model from ``{skill: hours}`` and ``(skill, prerequisite)`` / ``(narrower, broader)`` pairs.

        Raises
        ------
        CycleError
            The prerequisites or the hierarchy contain a cycle.

        Examples
        --------
        >>> m = SkillModel.from_edges({"bloc": 30, "provider": 15},
        ...                           broader=[("bloc", "state"), ("provider", "state")])
        >>> m.options("state")
        ('provider', 'bloc')
        >>> m.options("bloc")
        ('bloc',)
        """
        canon: dict = {}  # one object per skill: dict lookups then hit by identity (fast for IRIs)
        c = lambda node: canon.setdefault(node, node)  # noqa: E731
        pre: dict = {}
        for s, p in prerequisites:
            pre.setdefault(c(s), set()).add(c(p))
        up: dict = {}
        down: dict = {}
        for n, b in broader:
            n, b = c(n), c(b)
            up.setdefault(n, set()).add(b)
            down.setdefault(b, set()).add(n)
        for edges, name in ((pre, "cg:prerequisite"), (up, "skos:broader")):
            cycle = find_cycle(edges)
            if cycle:
                chain = " -> ".join(map(_short, cycle))
                raise CycleError(f"{name} cycle: {chain}", cycle=cycle)
        return cls(
            hours={c(s): float(h) for s, h in hours.items() if h is not None},
            prerequisites={s: frozenset(v) for s, v in pre.items()},
            broader={s: frozenset(v) for s, v in up.items()},
            narrower={s: frozenset(v) for s, v in down.items()},
        )

    # -- the hierarchy ---------------------------------------------------------
    def up(self, skill) -> frozenset:
        """``skill`` and every broader skill, transitively."""
        found = self._up.get(skill)
        if found is None:
            found = frozenset(_reach(skill, self.broader))
            self._up[skill] = found
        return found

    def down(self, skill) -> frozenset:
        """``skill`` and every narrower skill, transitively."""
        found = self._down.get(skill)
        if found is None:
            found = frozenset(_reach(skill, self.narrower))
            self._down[skill] = found
        return found

    # -- what the engine asks ----------------------------------------------------
    def priced(self, skill) -> bool:
        """Whether ``skill`` has effort hours."""
        return skill in self.hours

    def cost(self, skill) -> float:
        """Effort hours of ``skill``; 0 for an unpriced skill."""
        return self.hours.get(skill, 0.0)

    def weight(self, skill) -> float:
        """What a plan pays for ``skill``: its hours, or :data:`UNPRICED_WEIGHT` when unpriced."""
        return self.hours.get(skill, UNPRICED_WEIGHT)

    def learnable(self, skill) -> bool:
        """Priced, or unpriced with no priced narrower skill (then learned as itself)."""
        return skill in self.hours or not any(s in self.hours for s in self.down(skill))

    def options(self, skill) -> tuple:
        """The skills that can be learned to meet a requirement on ``skill``, cheapest first."""
        found = self._options.get(skill)
        if found is None:
            found = tuple(sorted((s for s in self.down(skill) if self.learnable(s)),
                                 key=lambda s: (self.weight(s), str(s))))
            self._options[skill] = found
        return found

    def needs(self, skill) -> frozenset:
        """What must be met before learning ``skill`` (its own and inherited prerequisites)."""
        found = self._needs.get(skill)
        if found is None:
            up = self.up(skill)
            found = frozenset(p for b in up for p in self.prerequisites.get(b, ())) - up
            self._needs[skill] = found
        return found

    def sorted_needs(self, skill) -> tuple:
        """:meth:`needs` sorted by ``str`` (cached): the deterministic order the engine works in."""
        found = self._sorted_needs.get(skill)
        if found is None:
            found = tuple(sorted(self.needs(skill), key=str))
            self._sorted_needs[skill] = found
        return found

    def needs_rev(self, skill) -> tuple:
        """:meth:`sorted_needs` reversed (cached), for the engine's depth-first stacks."""
        found = self._needs_rev.get(skill)
        if found is None:
            found = self.sorted_needs(skill)[::-1]
            self._needs_rev[skill] = found
        return found

    def closure(self, held, lacks=()) -> dict:
        """Everything the holder of ``held`` counts as knowing, with how.

        Returns ``{skill: (held_skill, via)}`` where ``held_skill`` is the
        directly held skill it comes from and ``via`` is ``"direct"``,
        ``"narrower"`` (a narrower skill is held) or ``"prerequisite"`` (a
        prerequisite of something known). A skill in ``lacks`` is never
        implied through prerequisites, only through a narrower skill held.
        Breadth-first from the held skills in sorted order, so the answer is
        deterministic.

        Examples
        --------
        >>> m = SkillModel.from_edges({}, prerequisites=[("flutter", "dart")],
        ...                           broader=[("bloc", "state")])
        >>> sorted(m.closure({"flutter", "bloc"}).items())  # doctest: +NORMALIZE_WHITESPACE
        [('bloc', ('bloc', 'direct')), ('dart', ('flutter', 'prerequisite')),
         ('flutter', ('flutter', 'direct')), ('state', ('bloc', 'narrower'))]
        """
        lacks = set(lacks) - set(held)
        known = {s: (s, "direct") for s in held}
        queue = sorted(held, key=str)
        i = 0
        while i < len(queue):
            node = queue[i]
            i += 1
            root, via = known[node]
            for b in sorted(self.broader.get(node, ()), key=str):
                if b not in known:
                    known[b] = (root, "narrower" if via in ("direct", "narrower") else via)
                    queue.append(b)
            for p in sorted(self.prerequisites.get(node, ()), key=str):
                if p not in known and p not in lacks:
                    known[p] = (root, "prerequisite")
                    queue.append(p)
        return known


def _reach(start, edges) -> set:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _short(node) -> str:
    from .resolve import curie

    return curie(node)


_MODELS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def skill_model(kg) -> SkillModel:
    """The :class:`SkillModel` of ``kg``, built once and cached while ``kg`` is unchanged.

    Raises
    ------
    CycleError
        ``cg:prerequisite`` or ``skos:broader`` has a cycle (possible when the
        graph was loaded with ``check=False``).

    Examples
    --------
    >>> from careergraph.graph import load
    >>> m = skill_model(load())
    >>> m.hours[load().resolve("skill:dart")]
    80.0
    """
    size = kg.index_key() if hasattr(kg, "index_key") else len(kg)
    try:
        cached = _MODELS.get(kg)
    except TypeError:  # not weak-referenceable: build every time
        cached = None
    if cached is not None and cached[0] == size:
        return cached[1]
    model = None
    folder = getattr(kg, "index_folder", None)
    if folder is not None:  # a workspace: the model saved with its compiled index, if current
        from .index import saved_model

        model = saved_model(kg, folder, size)
    if model is None and getattr(kg, "oxigraph", None) is not None:
        model = _native_model(kg.oxigraph)
    if model is None and getattr(kg, "backend", None) == "endpoint" and kg._dataset is None:
        model = kg.skill_model()  # pulled on its own, not with the whole subgraph
    if model is None:
        g = kg.graph
        model = SkillModel.from_edges(
            skill_hours(kg),
            prerequisites=_pairs(g, CG.prerequisite),
            broader=_pairs(g, SKOS.broader),
        )
    try:
        _MODELS[kg] = (size, model)
    except TypeError:
        pass
    return model


def _native_model(store) -> SkillModel:
    """:func:`skill_model` read from a pyoxigraph store in bulk (:mod:`.native`): the same model."""
    from .native import select_iris

    hours = {}
    for s, text in select_iris(store, f"SELECT ?s (STR(?h) AS ?v) WHERE {{ ?s <{CG.effortHours}> ?h "
                                      "FILTER(isLiteral(?h)) }"):
        if s is None or text is None:
            continue
        try:
            hours[str.__new__(URIRef, s)] = float(text)  # IRIs from the store: not checked again
        except ValueError:
            continue  # as skill_hours: validate reports it, the engine treats the skill as unpriced
    pairs = {}
    for prop in (CG.prerequisite, SKOS.broader):  # IRIs only, as _pairs keeps in memory
        found = select_iris(store, f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{prop}> ?o }}", literals=False)
        pairs[prop] = sorted((str.__new__(URIRef, s), str.__new__(URIRef, o))
                             for s, o in found if s is not None and o is not None)
    return SkillModel.from_edges(hours, prerequisites=pairs[CG.prerequisite], broader=pairs[SKOS.broader])


def _pairs(g, prop) -> list:
    return sorted((s, o) for s, o in g.subject_objects(prop)
                  if isinstance(s, URIRef) and isinstance(o, URIRef))


def skill_hours(kg) -> dict:
    """``{skill IRI: effort hours}`` for every skill with a numeric ``cg:effortHours``."""
    hours = {}
    for s, o in kg.graph.subject_objects(CG.effortHours):
        if isinstance(s, URIRef) and isinstance(o, Literal):
            try:
                hours[s] = float(o.toPython())
            except (TypeError, ValueError):
                continue  # validate reports malformed hours; the engine treats the skill as unpriced
    return hours


def prerequisite_graph(kg) -> nx.DiGraph:
    """The prerequisite DAG: an edge ``a -> b`` means learn ``a`` before ``b``.

    Nodes carry ``label`` and ``hours`` (None when unpriced).
    """
    import networkx as nx

    model = skill_model(kg)
    g = nx.DiGraph()
    for skill, pres in sorted(model.prerequisites.items()):
        for p in sorted(pres):
            g.add_edge(p, skill)
    for node in g:
        g.nodes[node].update(label=kg.label(node), hours=model.hours.get(node))
    return g


def hierarchy_graph(kg) -> nx.DiGraph:
    """The skill hierarchy: an edge ``narrower -> broader`` per ``skos:broader``."""
    import networkx as nx

    g = nx.DiGraph()
    for n, b in _pairs(kg.graph, SKOS.broader):
        g.add_edge(n, b)
    for node in g:
        g.nodes[node]["label"] = kg.label(node)
    return g


def _objects(kg):
    """``objects(subject, predicate)`` of ``kg``: :meth:`KnowledgeGraph.objects` (read from Oxigraph
    directly on a workspace, asked of the server on an endpoint), or a plain graph's."""
    return getattr(kg, "objects", None) or kg.graph.objects


def held_skills(kg, person) -> dict:
    """What ``person`` counts as knowing: ``{skill: (held skill, via)}``, see :meth:`SkillModel.closure`."""
    objects = _objects(kg)
    held = {o for o in objects(person, CG.hasSkill) if isinstance(o, URIRef)}
    lacks = {o for o in objects(person, CG.lacksSkill) if isinstance(o, URIRef)}
    return skill_model(kg).closure(held, lacks)


def requirements(kg, target) -> tuple[list, list]:
    """``(essential, optional)`` skills of a posting or role, sorted.

    A posting's essential skills are ``cg:requiresSkill`` and its optional ones
    ``cg:prefersSkill``; a role's are ``cg:needsSkill`` and it has no optional ones.
    """
    objects = _objects(kg)
    essential = {o for p in (CG.requiresSkill, CG.needsSkill) for o in objects(target, p)
                 if isinstance(o, URIRef)}
    optional = {o for o in objects(target, CG.prefersSkill) if isinstance(o, URIRef)} - essential
    return sorted(essential), sorted(optional)


def resolve_person(kg, person=None) -> URIRef:
    """The person ``person`` names, or the only person in the data when it is None.

    Raises
    ------
    UsageError
        ``person`` is None and the data has no person or several (the message lists them).
    UnknownEntityError, AmbiguousEntityError
        ``person`` names no person or several.
    """
    if person is not None:
        return kg.resolve(str(person), kind="person")
    people = kg.entities("person")
    if len(people) == 1:
        return people[0]
    if not people:
        raise UsageError("no person in the data: load one with --data (a cg:Person with cg:hasSkill)")
    listed = ", ".join(f"{kg.curie(p)} ({kg.label(p)})" for p in people)
    raise UsageError(f"several people in the data; choose one with --person: {listed}")


def resolve_target(kg, target) -> URIRef:
    """The posting or role ``target`` names (IRI, CURIE or label)."""
    return kg.resolve(str(target), kind=("posting", "role"))


class Situation(NamedTuple):
    """Where a plan or a gap starts: who, towards what, and what they already know."""

    person: URIRef
    target: URIRef
    model: "SkillModel"
    known: dict
    direct: frozenset
    essential: list
    preferred: list


def situation(kg, person, target) -> Situation:
    """Resolve ``person`` (None: the only person) and ``target``, and gather what they know and need."""
    person_iri = resolve_person(kg, person)
    target_iri = resolve_target(kg, target)
    known = held_skills(kg, person_iri)
    direct = frozenset(s for s, (_, via) in known.items() if via == "direct")
    essential, preferred = requirements(kg, target_iri)
    return Situation(person_iri, target_iri, skill_model(kg), known, direct, essential, preferred)


def _is_entity(node) -> bool:
    if not isinstance(node, URIRef):
        return False
    text = str(node)
    return not any(text.startswith(ns) for ns in _VOCABULARIES)


def knowledge_graph(kg) -> nx.MultiDiGraph:
    """Every relation between two entities, as a labelled multigraph.

    Nodes are entity IRIs (``label`` and ``kind`` attributes); an edge
    ``s -> o`` with key and ``relation`` attribute set to the predicate's CURIE
    stands for one triple. Literals, blank nodes, ``rdf:type``, ``schema:url``
    and the vocabularies' own terms (``cg:``, RDFS, OWL, SKOS, schema.org,
    ESCO) are left out. Nodes and edges are added in sorted order, so
    algorithms that depend on insertion order are deterministic.
    """
    import networkx as nx

    g = nx.MultiDiGraph()
    triples = []
    for s, p, o in kg.graph.triples((None, None, None)):
        if p in _NOT_RELATIONS or isinstance(o, (Literal, BNode)):
            continue
        if _is_entity(s) and _is_entity(o) and s != o:
            triples.append((str(s), kg.curie(p), str(o), s, p, o))
    for *_, s, p, o in sorted(set(triples)):
        for node in (s, o):
            if node not in g:
                g.add_node(node, label=kg.label(node), kind=kg.kind_of(node))
        g.add_edge(s, o, key=kg.curie(p), relation=kg.curie(p))
    return g
