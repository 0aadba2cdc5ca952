"""Propose ``skos:closeMatch`` links from careergraph's skills to ESCO skills, by label."""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from careergraph.ontology import CG, ESCO

from .errors import InvalidDataError
from .importing import new_graph
from .resolve import bucket_counts, loose, normalize

__all__ = ["LinkProposal", "link_esco", "links_graph", "esco_skill_labels", "word_agreement"]

_LABELS = (SKOS.prefLabel, SKOS.altLabel)
_WORD = re.compile(r"\w+")
_STOP = {"and", "or", "of", "the", "in", "for", "to", "a", "an", "with", "use", "using", "on"}


@dataclass(frozen=True, order=True)
class LinkProposal:
    """A proposed ``skill skos:closeMatch esco_skill``.

    ``how`` is ``"exact"`` when a label of each is the same once case,
    spacing and punctuation are ignored (score 1.0), ``"close"`` otherwise,
    with ``score`` the similarity (0-1) of the two closest labels, which
    ``skill_form`` and ``esco_form`` are.
    """

    skill: URIRef
    esco_skill: URIRef
    score: float
    how: str
    skill_label: str
    esco_label: str
    skill_form: str
    esco_form: str

    def as_dict(self) -> dict:
        return {"skill": str(self.skill), "skill_label": self.skill_label,
                "esco_skill": str(self.esco_skill), "esco_label": self.esco_label,
                "how": self.how, "score": round(self.score, 3),
                "skill_form": self.skill_form, "esco_form": self.esco_form}


def _pick(values) -> tuple[str, list[str]]:
    """The display label and the matching forms of one concept, from ``(property, text, language)``.

    Forms are its prefLabels then altLabels in English or without a
    language (a label in another language only while none was kept); the
    display label is its first English (else any) prefLabel.
    """
    forms: list[str] = []
    for prop in _LABELS:
        for _, text, lang in sorted(v for v in values if v[0] == prop):
            if lang in ("", "en") or not forms:
                forms.append(" ".join(text.split()))
    prefs = sorted((text, lang) for prop, text, lang in values if prop == SKOS.prefLabel)
    english = [text for text, lang in prefs if lang in ("", "en")]
    return (english or [text for text, _ in prefs] or [""])[0], forms


def _rdflib_labels(graph, subjects) -> dict[URIRef, tuple[str, list[str]]]:
    values: dict[URIRef, list] = {node: [] for node in subjects}
    for prop in _LABELS:
        for node, value in graph.subject_objects(prop):
            found = values.get(node)
            if found is not None:
                found.append((prop, str(value), getattr(value, "language", None) or ""))
    return {node: _pick(found) for node, found in values.items()}


_NATIVE = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?p (STR(?l) AS ?text) (LANG(?l) AS ?lang) WHERE {
  ?s a <%s> . %s
  OPTIONAL { VALUES ?p { skos:prefLabel skos:altLabel } ?s ?p ?l }
}"""


def _native_labels(store, cls, extra: str = "") -> dict[URIRef, tuple[str, list[str]]]:
    from .native import select_iris

    values: dict[str, list] = {}
    for s, p, text, lang in select_iris(store, _NATIVE % (cls, extra)):
        if s is None:  # a blank node
            continue
        found = values.setdefault(s, [])
        if p is not None and text is not None:
            found.append((URIRef(p), text, lang or ""))
    return {URIRef(s): _pick(v) for s, v in values.items()}


def _file_labels(path: Path) -> dict[URIRef, tuple[str, list[str]]]:
    """The ESCO skills of an RDF file and their labels, streamed with Oxigraph's parser."""
    import pyoxigraph as ox

    from .store import guess_format
    from .workspace import _ox_format

    if not path.is_file():
        raise InvalidDataError("no such file" if not path.exists() else "is not a file", path=path)
    fmt = _ox_format(guess_format(path))
    skill, rdf_type = str(ESCO.Skill), str(RDF.type)
    wanted = {str(p): p for p in _LABELS}
    skills, values = set(), {}
    try:
        for quad in ox.parse(path=path, format=fmt, base_iri=path.resolve().as_uri()):
            predicate = quad.predicate.value
            subject = quad.subject
            if not isinstance(subject, ox.NamedNode):
                continue
            if predicate == rdf_type:
                if isinstance(quad.object, ox.NamedNode) and quad.object.value == skill:
                    skills.add(subject.value)
            elif predicate in wanted and isinstance(quad.object, ox.Literal):
                values.setdefault(subject.value, []).append(
                    (wanted[predicate], quad.object.value, quad.object.language or ""))
    except SyntaxError as err:
        raise InvalidDataError(f"bad RDF syntax: {' '.join(str(err).split())[:200]}", path=path) from err
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidDataError(f"cannot read: {err}", path=path) from err
    return {URIRef(s): _pick(values.get(s, [])) for s in skills}


def esco_skill_labels(esco) -> dict[URIRef, tuple[str, list[str]]]:
    """Every ``esco:Skill`` of ``esco`` with its display label and its label forms.

    ``esco`` is a path to an RDF file (streamed, never loaded whole), a
    :class:`~careergraph.graph.store.KnowledgeGraph` (a workspace's is read
    in Oxigraph) or an rdflib graph. Forms are the English (or untagged)
    ``skos:prefLabel`` then ``skos:altLabel`` values, spacing collapsed.

    Raises
    ------
    InvalidDataError
        The file is missing, has an unknown extension or bad syntax.
    """
    if isinstance(esco, (str, os.PathLike)):
        return _file_labels(Path(esco))
    if getattr(esco, "_oxigraph", None) is not None:
        return _native_labels(esco._oxigraph, ESCO.Skill)
    graph = getattr(esco, "graph", esco)
    return _rdflib_labels(graph, sorted({s for s in graph.subjects(RDF.type, ESCO.Skill)
                                         if isinstance(s, URIRef)}))


def _own_skill_labels(kg) -> dict[URIRef, tuple[str, list[str]]]:
    """The graph's skills that are not ESCO skills, with their labels."""
    if getattr(kg, "_oxigraph", None) is not None:
        return _native_labels(kg._oxigraph, CG.Skill, f"FILTER NOT EXISTS {{ ?s a <{ESCO.Skill}> }}")
    graph = kg.graph
    return _rdflib_labels(graph, sorted({s for s in graph.subjects(RDF.type, CG.Skill)
                                         if isinstance(s, URIRef) and (s, RDF.type, ESCO.Skill) not in graph}))


def _tokens(text: str) -> set[str]:
    return _words(normalize(text))


def _words(key: str) -> set[str]:
    """The words of a normalized text, stop words left out."""
    return {t for t in _WORD.findall(key) if t not in _STOP}


class _Index:
    """ESCO's label forms, looked up by exact key and by word, with character counts for bounds."""

    def __init__(self, labels: dict[URIRef, tuple[str, list[str]]]):
        import numpy as np

        self.exact: dict[str, list[tuple[URIRef, str]]] = {}
        texts: dict[str, int] = {}      # normalized form -> id
        pairs: list[tuple[URIRef, str, int]] = []   # (node, form as written, id of its normalized form)
        by_token: dict[str, list[int]] = {}
        for node in sorted(labels):
            for form in dict.fromkeys(labels[node][1]):
                key = normalize(form)
                self.exact.setdefault(loose(form), []).append((node, form))
                pair = len(pairs)
                pairs.append((node, form, texts.setdefault(key, len(texts))))
                for token in _words(key):
                    by_token.setdefault(token, []).append(pair)
        self.pairs = pairs
        self.text_of = list(texts)
        self.form_id = np.fromiter((p[2] for p in pairs), dtype=np.int64, count=len(pairs))
        self.by_token = {t: np.asarray(ids, dtype=np.int64) for t, ids in by_token.items()}
        self.lengths = np.fromiter(map(len, self.text_of), dtype=np.int64, count=len(self.text_of))
        self.counts = bucket_counts(self.text_of, self.lengths)
        # a word's weight: its inverse document frequency over ESCO's skills (``log((N + 1) / (df + 1)) + 1``)
        n = len(labels)
        self.rare = math.log(n + 1) + 1  # a word no ESCO label has
        self.idf = {t: math.log((n + 1) / (len({pairs[i][0] for i in ids}) + 1)) + 1 for t, ids in by_token.items()}
        self.words_of = [_words(text) for text in self.text_of]

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.rare)

    def candidates(self, label: str):
        """The ids of the pairs sharing a word with ``label`` (sorted, distinct)."""
        import numpy as np

        found = [self.by_token[t] for t in _tokens(label) if t in self.by_token]
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def _word_similarity(a: str, b: str) -> float:
    """1 for the same word or an inflection of it (a shared stem of 4+ letters, endings of at most
    3: load/loads, test/testing), else difflib's ratio when at least 0.85 (a typo), else 0."""
    if a == b:
        return 1.0
    stem = len(os.path.commonprefix([a, b]))
    if stem >= 4 and max(len(a), len(b)) - stem <= 3:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= 0.85 else 0.0


def word_agreement(mine: set, theirs: set, weight) -> float:
    """How much two labels' words agree, 0-1, each word weighted by ``weight(word)``.

    Each word counts by its best match in the other label
    (:func:`_word_similarity`); the score is the weighted share matched over
    both labels. A shared common word ("management", "testing") with a
    different distinctive one ("key" / "feed") scores low: that is what
    keeps "Key management" from matching "feed management".

    Examples
    --------
    >>> w = {"management": 1.0, "key": 5.0, "feed": 5.0}.get
    >>> round(word_agreement({"key", "management"}, {"feed", "management"}, w), 3)
    0.167
    >>> word_agreement({"load", "testing"}, {"loads", "testing"}, lambda word: 1.0)
    1.0
    """
    if not mine or not theirs:
        return 0.0
    matched = total = 0.0
    for words, others in ((mine, theirs), (theirs, mine)):
        for word in words:
            w = weight(word)
            total += w
            matched += w * max(_word_similarity(word, other) for other in others)
    return matched / total if total else 0.0


def _close(index: _Index, labels: list[str], *, cutoff: float, limit: int) -> list[tuple]:
    """The ``limit`` ESCO skills with the best similarity (at least ``cutoff``) to one of ``labels``.

    Every candidate shares a word with the label it is compared with and is
    scored with the lower of ``difflib.SequenceMatcher(None, label,
    form).ratio()`` on the normalized texts and the two labels'
    :func:`word_agreement` (words weighted by their rarity in ESCO), as a
    pair-by-pair comparison would. The ratio is
    ``2 * matches / total length`` and matches never exceed the characters
    two texts share, so that count (over hash buckets, an over-count) bounds
    every ratio first, in numpy; exact ratios are computed in falling order
    of the bound, and the search stops when the next bound is below the
    ``limit``-th best score found. Returns ``(score, node, label, form)``
    sorted by falling score, then IRI.
    """
    import numpy as np

    work = []  # (bound, label number, pair id)
    words = [_tokens(label) for label in labels]
    for number, label in enumerate(labels):
        key = normalize(label)
        pair_ids = index.candidates(label)
        if not len(pair_ids):
            continue
        forms = index.form_id[pair_ids]
        want = bucket_counts([key], [len(key)])[0]
        shared = np.minimum(index.counts[forms], want).sum(axis=1)
        bound = 2.0 * shared / np.maximum(index.lengths[forms] + len(key), 1)
        keep = bound >= cutoff
        work.extend(zip(bound[keep].tolist(), [number] * int(keep.sum()), pair_ids[keep].tolist()))
    work.sort(key=lambda item: (-item[0], item[1], item[2]))
    best: dict[URIRef, tuple[float, str, str]] = {}
    scores: dict[tuple[int, int], float] = {}
    matchers = {}
    floor = cutoff
    for bound, number, pair in work:
        if bound < floor:
            break
        node, form, form_id = index.pairs[pair]
        score = scores.get((number, form_id))
        if score is None:
            matcher = matchers.get(number)
            if matcher is None:
                matcher = matchers[number] = difflib.SequenceMatcher(None, normalize(labels[number]))
            matcher.set_seq2(index.text_of[form_id])
            score = matcher.ratio() if matcher.quick_ratio() >= floor else 0.0
            if score >= floor:  # the ratio bounds the score: the words are compared only then
                score = min(score, word_agreement(words[number], index.words_of[form_id], index.weight))
            scores[(number, form_id)] = score
        if score >= cutoff and score > best.get(node, (0.0,))[0]:
            best[node] = (score, labels[number], form)
            if len(best) >= limit:
                floor = max(cutoff, sorted((s for s, _, _ in best.values()), reverse=True)[limit - 1])
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], str(item[0])))[:limit]
    return [(score, node, mine, theirs) for node, (score, mine, theirs) in ranked]


def link_esco(kg, esco, *, cutoff: float = 0.8, limit: int = 3) -> list[LinkProposal]:
    """Propose links from the graph's own skills to ESCO skills with the same or a close label.

    Every skill of ``kg`` that is not itself an ESCO skill is compared with
    every ``esco:Skill`` of ``esco`` on their ``skos:prefLabel`` and
    ``skos:altLabel``. Exact matches (equal once case, spacing and
    punctuation are ignored) come first; a skill without one gets up to
    ``limit`` close matches: ESCO labels sharing a word with one of its
    labels, scored by string similarity (difflib's ratio), kept when the
    score reaches ``cutoff``. Similarities are bounded in numpy first, so
    the whole of ESCO (14,000 skills, 100,000 labels) takes seconds. Nothing
    is written: the caller reviews the proposals and passes the accepted
    ones to :func:`links_graph`.

    Parameters
    ----------
    kg : KnowledgeGraph
        Its skills are the ones linked (in a workspace, read in Oxigraph).
    esco : str, Path, KnowledgeGraph or rdflib.Graph
        ESCO skills: best the path of an RDF file, such as the output of
        :func:`~careergraph.graph.import_esco.import_esco`, which is
        streamed for its labels instead of loaded whole.
    cutoff : float
        The lowest similarity (0-1) a close match needs.
    limit : int
        The most close matches proposed per skill.

    Returns
    -------
    list of LinkProposal
        Sorted by skill, then exact before close, then by falling score.

    Raises
    ------
    InvalidDataError
        ``esco`` is a file that is missing or not RDF.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> from rdflib import Graph, Literal
    >>> esco = Graph()
    >>> node = URIRef("http://data.europa.eu/esco/skill/x")
    >>> _ = esco.add((node, RDF.type, ESCO.Skill)).add((node, SKOS.prefLabel, Literal("Dart", lang="en")))
    >>> [(p.how, p.esco_label) for p in link_esco(load(), esco) if p.skill_label == "Dart"]
    [('exact', 'Dart')]
    """
    esco_labels = esco_skill_labels(esco)
    index = _Index(esco_labels)
    proposals: list[LinkProposal] = []
    for skill, (_, labels) in sorted(_own_skill_labels(kg).items()):
        found: dict[URIRef, tuple[str, str]] = {}
        for label in labels:
            for node, form in index.exact.get(loose(label), ()):
                found.setdefault(node, (label, form))
        if found:
            for node, (mine, theirs) in found.items():
                proposals.append(LinkProposal(skill, node, 1.0, "exact", kg.label(skill),
                                              esco_labels[node][0], mine, theirs))
            continue
        for score, node, mine, theirs in _close(index, labels, cutoff=cutoff, limit=limit):
            proposals.append(LinkProposal(skill, node, score, "close", kg.label(skill),
                                          esco_labels[node][0], mine, theirs))
    return sorted(proposals, key=lambda p: (str(p.skill), p.how != "exact", -p.score, str(p.esco_skill)))


def links_graph(proposals) -> Graph:
    """The accepted ``proposals`` as ``skill skos:closeMatch esco_skill`` triples."""
    graph = new_graph()
    for proposal in proposals:
        graph.add((proposal.skill, SKOS.closeMatch, proposal.esco_skill))
    return graph
