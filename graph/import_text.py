"""Find known skills in the free text of a job ad, and turn the ad into a posting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG

from .errors import InvalidDataError
from .importing import ImportResult, Minter, SkillMatcher, new_graph, prefer_own
from .import_postings import add_posting

__all__ = ["SkillMention", "find_skills", "import_posting_text", "SHORT_LABEL"]

#: Labels this short or shorter ("Go", "C", "R") match only with their own case:
#: in lower case they are common words.
SHORT_LABEL = 2


@dataclass(frozen=True, order=True)
class SkillMention:
    """A skill found in text: ``text[start:end] == matched`` shows ``skill``.

    ``label`` is the skill's display name and ``form`` the label or altLabel
    that matched (its spelling in the graph).
    """

    start: int
    end: int
    skill: URIRef
    label: str
    matched: str
    form: str

    def as_dict(self) -> dict:
        return {"skill": str(self.skill), "label": self.label, "start": self.start, "end": self.end,
                "matched": self.matched, "form": self.form}


def _fold(text: str) -> str:
    """Lower case, one character for one character, so spans stay valid."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Trie:
    """Surface forms in a character trie; ' ' in a form matches any run of whitespace."""

    def __init__(self):
        self.root: dict = {}

    def add(self, form: str, value) -> None:
        node = self.root
        for ch in form:
            node = node.setdefault(ch, {})
        node.setdefault(None, []).append(value)

    def matches(self, text: str, folded: str, start: int):
        """Yield (end, values) for every form that matches at ``start``."""
        node, i, n = self.root, start, len(text)
        while i < n:
            ch = folded[i]
            if ch.isspace():
                node = node.get(" ")
                while i < n and folded[i].isspace():
                    i += 1
            else:
                node = node.get(ch)
                i += 1
            if node is None:
                return
            if None in node:
                yield i, node[None]


def _forms(kg):
    """(form, skill, tier) for every prefLabel (tier 0) and altLabel (tier 1) of every skill."""
    graph = kg.graph
    for skill in set(graph.subjects(RDF.type, CG.Skill)):
        if not isinstance(skill, URIRef):
            continue
        for tier, prop in enumerate((SKOS.prefLabel, SKOS.altLabel)):
            for label in graph.objects(skill, prop):
                form = " ".join(str(label).split())
                if form:
                    yield form, skill, tier


def find_skills(kg, text: str) -> list[SkillMention]:
    """Every known skill named in ``text``, with the span that names it.

    Skills are found by their ``skos:prefLabel`` and ``skos:altLabel``,
    case-insensitively and on word boundaries (a label is not found inside
    a longer word); whitespace inside a label matches any run of whitespace.
    Labels of :data:`SHORT_LABEL` characters or fewer ("Go", "R") match
    only with their own case, since in lower case they are ordinary words.
    Longer matches win: every match is found, then they are taken longest
    first, and a match that overlaps a longer one (or an equally long one
    further left) is dropped. A label that several skills share yields one
    mention per skill, preferring skills whose prefLabel it is, and
    careergraph's own skill over the ones it is linked to with
    ``skos:closeMatch`` (see :func:`~careergraph.graph.importing.prefer_own`).

    Parameters
    ----------
    kg : KnowledgeGraph
    text : str

    Returns
    -------
    list of SkillMention
        In text order; a skill named several times has several mentions.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> [(m.label, m.matched) for m in find_skills(load(), "We use Flutter Web and a REST API.")]
    [('Flutter Web', 'Flutter Web'), ('REST API', 'REST API')]
    """
    trie = _Trie()
    for form, skill, tier in _forms(kg):
        trie.add(_fold(form), (skill, tier, form))
    folded = _fold(text)
    candidates = []
    n = len(text)
    for start in range(n):
        if start > 0 and _is_word(text[start - 1]) and _is_word(text[start]):
            continue
        for end, values in trie.matches(text, folded, start):
            if end < n and _is_word(text[end]) and _is_word(text[end - 1]):
                continue
            exact = [v for v in values if len(v[2]) > SHORT_LABEL or text[start:end] == v[2]]
            if exact:
                candidates.append((start, end, exact))
    taken: list[tuple[int, int]] = []
    mentions: list[SkillMention] = []
    for start, end, values in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        best = min(tier for _, tier, _ in values)
        chosen = {}
        for skill, tier, form in values:
            if tier == best:
                chosen.setdefault(skill, form)
        kept = prefer_own(kg, sorted(chosen))
        for skill, form in sorted((s, chosen[s]) for s in kept):
            mentions.append(SkillMention(start, end, skill, kg.label(skill), text[start:end], form))
    return sorted(mentions)


def import_posting_text(kg, text: str, *, title: str | None = None, company: str | None = None,
                        seniority: str | None = None, url: str | None = None, id: str | None = None,
                        path=None) -> ImportResult:
    """A posting requiring every known skill that ``text`` names (see :func:`find_skills`).

    ``title`` defaults to the first non-empty line of the text. The result's
    ``mentions`` list what was found where, so a person can check it before
    the posting is kept.

    Raises
    ------
    InvalidDataError
        The text names no known skill, or a field is invalid (unknown
        seniority, a link that is not a web address...).

    Examples
    --------
    >>> from careergraph.graph import load
    >>> result = import_posting_text(load(), "Flutter dev\\nYou know Dart and BLoC.", company="Acme")
    >>> sorted(str(s).rsplit("/", 1)[1] for s in result.graph.objects(None, CG.requiresSkill))
    ['bloc', 'dart', 'flutter']
    """
    path = Path(path) if path is not None else None
    if title is None or not title.strip():
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if len(title) > 120:
            title = title[:117].rstrip() + "..."
    mentions = find_skills(kg, text)
    if not mentions:
        raise InvalidDataError("the text names no skill careergraph knows; nothing to import", path=path)
    graph = new_graph()
    result = ImportResult(graph, mentions=mentions)
    minter = Minter(kg, path)
    matcher = SkillMatcher(kg, graph, minter, path=path)
    required, seen = [], set()
    for mention in mentions:
        if mention.skill not in seen:
            seen.add(mention.skill)
            line = text.count("\n", 0, mention.start) + 1
            required.append((kg.curie(mention.skill), line, None))
    add_posting(kg, graph, minter, matcher, result, title=title, required=required,
                company=company, seniority=seniority, url=url, id=id, path=path)
    matcher.check()
    return result
