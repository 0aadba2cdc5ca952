"""Skills in free text: spans, word boundaries, longest match first, and postings made from ads."""

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from rdflib import RDF, URIRef
from rdflib.namespace import SKOS

from careergraph.graph.errors import InvalidDataError
from careergraph.graph.import_text import SHORT_LABEL, find_skills, import_posting_text
from careergraph.ontology import CG, SCHEMA

AD = Path(__file__).parent / "data" / "import" / "valid" / "ad.txt"


def _is_word(ch):
    return ch.isalnum() or ch == "_"


def check_mentions(kg, text, mentions):
    """Invariants of any answer of find_skills."""
    spans = sorted({(m.start, m.end) for m in mentions})
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert e1 <= s2, "mentions overlap"
    for m in mentions:
        assert text[m.start:m.end] == m.matched
        assert m.start == 0 or not (_is_word(text[m.start - 1]) and _is_word(text[m.start]))
        assert m.end == len(text) or not (_is_word(text[m.end]) and _is_word(text[m.end - 1]))
        labels = {str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in kg.graph.objects(m.skill, p)}
        assert m.form in labels
        assert " ".join(m.matched.split()).lower() == m.form.lower()
        if len(m.form) <= SHORT_LABEL:
            assert m.matched == m.form


def test_the_ad(kg):
    text = AD.read_text(encoding="utf-8")
    mentions = find_skills(kg, text)
    check_mentions(kg, text, mentions)
    found = {kg.curie(m.skill) for m in mentions}
    # longest match first: "Flutter Web" is one skill, not Flutter plus something
    web = [m for m in mentions if m.matched == "Flutter Web"]
    assert [kg.curie(m.skill) for m in web] == ["skill:flutter-web"]
    assert "skill:firebase-cloud-messaging" in found
    # whitespace runs and line breaks inside a label still match
    assert any(m.matched == "REST   API integration" for m in mentions)
    assert any(m.matched == "Firebase Cloud\nMessaging" for m in mentions)
    # "Go" (capitalised) is the language; "go!" in "Let's go!" is not
    go = [m for m in mentions if kg.curie(m.skill) == "skill:go"]
    assert [m.matched for m in go] == ["Go"]
    # not inside words: "Dartmouth" is not Dart
    assert all(m.matched.lower() != "dart" or text[m.end] != "m" for m in mentions)
    # case-insensitive
    assert any(m.matched == "firestore" and kg.curie(m.skill) == "skill:firestore" for m in mentions)
    assert "C#" not in {m.matched for m in mentions}


def test_every_skill_label_is_found_in_a_sentence(kg):
    forms = set()
    for skill in kg.graph.subjects(RDF.type, CG.Skill):
        for label in kg.graph.objects(skill, SKOS.prefLabel):
            forms.add((str(label), skill))
    assert len(forms) > 100
    for label, skill in sorted(forms):
        text = f"We need {label}, please."
        start = len("We need ")
        mentions = find_skills(kg, text)
        check_mentions(kg, text, mentions)
        at = [m for m in mentions if m.start <= start and m.end >= start + len(label)]
        assert at, label
        assert skill in {m.skill for m in at} or any(m.end - m.start > len(label) for m in at), label


def test_longer_match_wins_over_an_earlier_overlapping_one(kg):
    text = "Firebase Cloud Messaging"
    mentions = find_skills(kg, text)
    assert [(kg.curie(m.skill), m.start, m.end) for m in mentions] == [
        ("skill:firebase-cloud-messaging", 0, len(text))]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Flutter", "Web", "flutter web", "REST", "API", " ", "\n", ", ", "go",
                                 "Go", "Dart", "dartmouth", "BLoC", "/", "Cubit", "C++", "x", "é"]),
                max_size=25))
def test_invariants_on_random_text(kg, words):
    text = " ".join(words)
    check_mentions(kg, text, find_skills(kg, text))


def test_posting_from_text(kg):
    text = AD.read_text(encoding="utf-8")
    result = import_posting_text(kg, text, company="Acme", seniority="Senior", url="https://example.org/ad")
    (posting,) = result.entities
    g = result.graph
    assert set(g.objects(posting, CG.requiresSkill)) == {m.skill for m in result.mentions}
    assert str(g.value(posting, SCHEMA.title)) == text.splitlines()[0].strip()
    assert g.value(posting, CG.seniority) == kg.resolve("Senior", kind="level")
    assert g.value(posting, SCHEMA.url) == URIRef("https://example.org/ad")
    assert kg.curie(posting) == "posting:acme-senior-flutter-developer"


def test_text_without_skills_is_refused(kg):
    with pytest.raises(InvalidDataError, match="names no skill"):
        import_posting_text(kg, "We sell shoes and we love them.")
