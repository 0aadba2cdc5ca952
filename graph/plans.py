"""Result dataclasses of the path and ranking algorithms, each with a stable ``as_dict()``.

The JSON shapes are documented in ``docs/json-shapes.md``; a change to any
``as_dict`` is a change to the command-line contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Ref",
    "Alternative",
    "Step",
    "MetRequirement",
    "OptionalSkill",
    "LearningPath",
    "GapRow",
    "Gap",
    "RankRow",
    "Ranking",
    "NextSkill",
    "NextSkills",
    "SkillDemand",
    "Demand",
    "Hop",
    "Connection",
]


def _hours(value):
    """Hours for JSON: an int when whole, else rounded to 2 decimals; None stays None."""
    if value is None:
        return None
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def _refs(refs) -> list:
    return [r.as_dict() for r in refs]


@dataclass(frozen=True, order=True)
class Ref:
    """An entity named three ways: IRI, CURIE and display label. Sorted by CURIE."""

    curie: str
    label: str
    iri: str

    @classmethod
    def of(cls, kg, iri) -> "Ref":
        return cls(kg.curie(iri), kg.label(iri), str(iri))

    def as_dict(self) -> dict:
        return {"iri": self.iri, "curie": self.curie, "label": self.label}

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Alternative:
    """A skill that could have met ``requirement`` instead of the step chosen.

    ``plan_hours`` is the least total of a whole plan that meets the
    requirement with this skill instead.
    """

    skill: Ref
    hours: float
    plan_hours: float
    requirement: Ref

    def as_dict(self) -> dict:
        return {"skill": self.skill.as_dict(), "hours": _hours(self.hours),
                "plan_hours": _hours(self.plan_hours), "requirement": self.requirement.as_dict()}


@dataclass(frozen=True)
class Step:
    """One skill to learn, in order.

    ``required_for`` lists the target's essential requirements it meets (the
    skill itself or a broader one), ``optional_for`` the optional ones it
    meets when they are included, ``prerequisite_of`` the later steps that
    need it first.
    """

    position: int
    skill: Ref
    hours: float
    priced: bool = True
    required_for: tuple = ()
    optional_for: tuple = ()
    prerequisite_of: tuple = ()
    alternatives: tuple = ()

    @property
    def reason(self) -> str:
        """Why the step is in the plan, in words."""
        parts = []
        for r in self.required_for:
            parts.append("required" if r.curie == self.skill.curie else f"meets {r.label}")
        for r in self.optional_for:
            parts.append("optional" if r.curie == self.skill.curie else f"meets optional {r.label}")
        if self.prerequisite_of:
            parts.append("prerequisite of " + ", ".join(r.label for r in self.prerequisite_of))
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "position": self.position,
            "skill": self.skill.as_dict(),
            "hours": _hours(self.hours),
            "priced": self.priced,
            "reason": self.reason,
            "required_for": _refs(self.required_for),
            "optional_for": _refs(self.optional_for),
            "prerequisite_of": _refs(self.prerequisite_of),
            "alternatives": [a.as_dict() for a in self.alternatives],
        }


@dataclass(frozen=True)
class MetRequirement:
    """A requirement the person already meets, and how.

    ``via`` is ``"direct"`` (the skill is held), ``"narrower"`` (a narrower
    skill is held) or ``"prerequisite"`` (it is a prerequisite of a held skill);
    ``held`` is the held skill that meets it.
    """

    requirement: Ref
    via: str
    held: Ref
    essential: bool = True

    def as_dict(self) -> dict:
        return {"requirement": self.requirement.as_dict(), "via": self.via,
                "held": self.held.as_dict(), "essential": self.essential}


@dataclass(frozen=True)
class OptionalSkill:
    """A preferred (optional) skill of a posting: met already, or its extra cost."""

    skill: Ref
    met: bool
    extra_hours: float
    included: bool

    def as_dict(self) -> dict:
        return {"skill": self.skill.as_dict(), "met": self.met,
                "extra_hours": _hours(self.extra_hours), "included": self.included}


@dataclass(frozen=True)
class LearningPath:
    """The cheapest plan from a person's skills to a posting or role.

    ``total_hours`` is the sum of the steps' hours; ``weeks`` is
    ``total_hours / hours_per_week``. When ``approximate`` is true the search
    stopped at its node budget: ``total_hours`` is the best plan found and
    ``lower_bound`` a proven lower bound on the optimum (otherwise they are
    equal).
    """

    person: Ref
    target: Ref
    target_kind: str
    steps: tuple
    total_hours: float
    hours_per_week: float
    met: tuple = ()
    missing: tuple = ()
    optional: tuple = ()
    approximate: bool = False
    lower_bound: float = 0.0
    unpriced: tuple = ()

    @property
    def weeks(self) -> float:
        return self.total_hours / self.hours_per_week

    def as_dict(self) -> dict:
        return {
            "person": self.person.as_dict(),
            "target": {**self.target.as_dict(), "kind": self.target_kind},
            "total_hours": _hours(self.total_hours),
            "hours_per_week": _hours(self.hours_per_week),
            "weeks": round(self.weeks, 1),
            "approximate": self.approximate,
            "lower_bound": _hours(self.lower_bound),
            "steps": [s.as_dict() for s in self.steps],
            "met": [m.as_dict() for m in self.met],
            "missing": _refs(self.missing),
            "optional": [o.as_dict() for o in self.optional],
            "unpriced": _refs(self.unpriced),
        }


@dataclass(frozen=True)
class GapRow:
    """One requirement of the target and where the person stands on it.

    ``status`` is ``"held"``, ``"narrower"`` (met through a narrower held
    skill), ``"prerequisite"`` (implied by a held skill) or ``"missing"``.
    For missing rows, ``learn`` is the skill the cheapest plan learns to meet
    the requirement (itself, or a narrower skill for a broad one; None when no
    plan can) and ``hours`` that skill's own effort (None when unpriced).
    """

    requirement: Ref
    essential: bool
    status: str
    held: Ref | None = None
    hours: float | None = None
    learn: Ref | None = None

    def as_dict(self) -> dict:
        return {"requirement": self.requirement.as_dict(), "essential": self.essential,
                "status": self.status, "held": self.held.as_dict() if self.held else None,
                "learn": self.learn.as_dict() if self.learn else None, "hours": _hours(self.hours)}


@dataclass(frozen=True)
class Gap:
    """Held / missing / met-through-narrower, requirement by requirement."""

    person: Ref
    target: Ref
    target_kind: str
    rows: tuple

    @property
    def missing(self) -> tuple:
        return tuple(r for r in self.rows if r.status == "missing")

    def as_dict(self) -> dict:
        return {"person": self.person.as_dict(),
                "target": {**self.target.as_dict(), "kind": self.target_kind},
                "rows": [r.as_dict() for r in self.rows]}


@dataclass(frozen=True)
class RankRow:
    """How far a person is from one posting, role or component.

    ``coverage`` is the percentage of essential requirements already met.
    For a component, ``via`` is the role of its team the person reaches with
    the fewest hours, and the numbers are that role's. When ``approximate``
    is true the cheapest plan was not proven: it costs at least
    ``lower_bound`` and at most ``hours``. ``unpriced`` counts the skills
    the plan learns that have no effort hours in the data (not in
    ``hours``); targets needing fewer of them come first.
    """

    target: Ref
    hours: float
    coverage: float
    met: int
    required: int
    missing: tuple = ()
    approximate: bool = False
    via: Ref | None = None
    lower_bound: float | None = None
    unpriced: int = 0

    def as_dict(self) -> dict:
        return {"target": self.target.as_dict(), "hours": _hours(self.hours), "unpriced": self.unpriced,
                "coverage": round(self.coverage, 1), "met": self.met, "required": self.required,
                "missing": _refs(self.missing), "approximate": self.approximate,
                "lower_bound": None if self.lower_bound is None else _hours(self.lower_bound),
                "via": self.via.as_dict() if self.via else None}


@dataclass(frozen=True)
class Ranking:
    """Targets of one kind sorted by unpriced skills to learn (fewest first), hours to reach,
    coverage (highest first), then label.

    ``total`` is how many targets were ranked (``rows`` may hold only the first ones).
    """

    person: Ref
    kind: str
    rows: tuple
    total: int | None = None

    def as_dict(self) -> dict:
        return {"person": self.person.as_dict(), "kind": self.kind,
                "total": len(self.rows) if self.total is None else self.total,
                "rows": [r.as_dict() for r in self.rows]}


@dataclass(frozen=True)
class NextSkill:
    """A skill worth learning next.

    ``bundle`` is the skill with its unmet prerequisites (what learning it
    really takes) and ``hours`` their total; ``unlocks`` are the postings
    that become fully met; ``hours_removed`` is the drop in the summed gap
    hours of all postings. ``unpriced`` counts the bundle's skills without
    effort hours (not in ``hours``); a bundle of them alone has 0 hours and
    counts its unlocks per bundle rather than per hour.
    """

    skill: Ref
    hours: float
    bundle: tuple
    unlocks: tuple
    hours_removed: float
    unlocked: int | None = None
    unpriced: int = 0

    @property
    def unlock_count(self) -> int:
        """Postings unlocked (``unlocks`` may list only the first of them on large data)."""
        return len(self.unlocks) if self.unlocked is None else self.unlocked

    @property
    def unlocks_per_hour(self) -> float:
        return self.unlock_count / self.hours if self.hours else float(self.unlock_count)

    @property
    def removed_per_hour(self) -> float:
        return self.hours_removed / self.hours if self.hours else self.hours_removed

    def as_dict(self) -> dict:
        return {"skill": self.skill.as_dict(), "hours": _hours(self.hours), "unpriced": self.unpriced,
                "bundle": _refs(self.bundle), "unlocks": _refs(self.unlocks),
                "unlock_count": self.unlock_count, "hours_removed": _hours(self.hours_removed),
                "unlocks_per_100_hours": round(100 * self.unlocks_per_hour, 2),
                "removed_per_hour": round(self.removed_per_hour, 2)}


@dataclass(frozen=True)
class NextSkills:
    """Candidate next skills, best first."""

    person: Ref
    skills: tuple

    def as_dict(self) -> dict:
        return {"person": self.person.as_dict(), "skills": [s.as_dict() for s in self.skills]}


@dataclass(frozen=True)
class SkillDemand:
    """How much the postings ask for one skill.

    ``betweenness`` is the skill's betweenness centrality on the co-occurrence
    graph (None when not computed, see :attr:`Demand.centrality`);
    ``community`` the index of its Louvain community in
    :attr:`Demand.communities`. ``required`` and ``preferred`` count the
    postings that require and prefer the skill; ``postings`` and
    ``preferred_by`` may list only the first of them (:attr:`Demand.shown_postings`).
    """

    skill: Ref
    postings: tuple
    preferred_by: tuple
    betweenness: float | None
    community: int | None
    required: int | None = None
    preferred: int | None = None

    def as_dict(self) -> dict:
        required = len(self.postings) if self.required is None else self.required
        preferred = len(self.preferred_by) if self.preferred is None else self.preferred
        return {"skill": self.skill.as_dict(), "postings": required,
                "required_by": _refs(self.postings), "preferred_by": _refs(self.preferred_by),
                "betweenness": None if self.betweenness is None else round(self.betweenness, 4),
                "community": self.community, "preferred": preferred}


@dataclass(frozen=True)
class Demand:
    """Skills by posting count, their betweenness, and the skill clusters.

    ``total`` counts every skill in demand (``skills`` may hold only the
    first); ``centrality`` is how betweenness and clusters were computed:
    ``"full"`` (the whole co-occurrence graph), ``"listed"`` (the listed
    skills' co-occurrence graph) or ``"none"``; ``shown_postings`` is how
    many postings each skill lists at most (None: all).
    """

    skills: tuple
    communities: tuple = field(default_factory=tuple)
    postings: int = 0
    total: int | None = None
    centrality: str = "full"
    shown_postings: int | None = None

    def as_dict(self) -> dict:
        return {"postings": self.postings, "skills": [s.as_dict() for s in self.skills],
                "communities": [_refs(c) for c in self.communities],
                "total": len(self.skills) if self.total is None else self.total,
                "centrality": self.centrality, "shown_postings": self.shown_postings}


@dataclass(frozen=True)
class Hop:
    """One triple on a connection, read from ``start`` to ``end``.

    ``forward`` is true when the triple is ``start relation end`` and false
    when it is ``end relation start``.
    """

    start: Ref
    relation: str
    end: Ref
    forward: bool

    def as_dict(self) -> dict:
        s, o = (self.start, self.end) if self.forward else (self.end, self.start)
        return {"subject": s.as_dict(), "predicate": self.relation, "object": o.as_dict()}


@dataclass(frozen=True)
class Connection:
    """The shortest chain of relations between two entities."""

    source: Ref
    target: Ref
    hops: tuple

    @property
    def chain(self) -> str:
        """``A --relation--> B <--relation-- C``."""
        text = self.source.label
        for hop in self.hops:
            arrow = f" --{hop.relation}--> " if hop.forward else f" <--{hop.relation}-- "
            text += arrow + hop.end.label
        return text

    def as_dict(self) -> dict:
        return {"from": self.source.as_dict(), "to": self.target.as_dict(),
                "length": len(self.hops), "chain": self.chain,
                "hops": [h.as_dict() for h in self.hops]}
