"""Names people type resolve to one entity, or fail with candidates or suggestions."""

import pytest

from careergraph.graph import AmbiguousEntityError, UnknownEntityError


@pytest.mark.parametrize("name, expected", [
    ("https://w3id.org/careergraph/skill/dart", "skill:dart"),
    ("<https://w3id.org/careergraph/skill/dart>", "skill:dart"),
    ("skill:dart", "skill:dart"),
    ("Dart", "skill:dart"),
    ("  dart  ", "skill:dart"),
    ("DART VM", "skill:dart-vm"),
    ("Dart runtime", "skill:dart-vm"),           # altLabel
    ("Media & File Service", "component:media-file-service"),
    ("Точка Знаний", "org:tochka-znaniy"),       # original-language label
    ("tochka znaniy", "org:tochka-znaniy"),      # English altLabel
    ("Senior Flutter Developer at Effective", "posting:effective-senior-flutter-developer"),
    ("effective-senior-flutter-developer", "posting:effective-senior-flutter-developer"),  # local name
    ("flutter_bloc", "skill:bloc"),
])
def test_resolves(kg, name, expected):
    assert kg.curie(kg.resolve(name)) == expected


def test_kind_restricts_candidates(kg):
    # "Flutter Developer" is both a role label and a posting title
    assert kg.curie(kg.resolve("Flutter Developer", kind="role")) == "role:flutter-developer"
    assert kg.curie(kg.resolve("Flutter Developer", kind="posting")) == "posting:red-flutter-developer"


def test_primary_label_beats_alt_label(kg):
    # "Testing" is software-testing's prefLabel
    assert kg.curie(kg.resolve("Testing")) == "skill:software-testing"


def test_ambiguous_lists_candidates(kg):
    with pytest.raises(AmbiguousEntityError) as info:
        kg.resolve("Senior Flutter Developer")
    curies = [c for c, _ in info.value.candidates]
    assert curies == ["posting:effective-senior-flutter-developer",
                      "posting:tochka-znaniy-senior-flutter-developer"]
    assert "Точка Знаний" in str(info.value)
    assert info.value.exit_code == 2


def test_unknown_suggests_closest(kg):
    with pytest.raises(UnknownEntityError) as info:
        kg.resolve("Fluter", kind="skill")
    assert info.value.suggestions and info.value.suggestions[0].startswith("Flutter")
    assert "unknown skill 'Fluter'" in str(info.value)


def test_iri_of_wrong_kind_is_unknown(kg):
    with pytest.raises(UnknownEntityError):
        kg.resolve("skill:dart", kind="role")


def test_labels_for_display(kg):
    assert kg.label(kg.resolve("org:tochka-znaniy")) == "Точка Знаний"
    assert kg.label(kg.resolve("skill:bloc")) == "BLoC"
    from rdflib import URIRef

    assert kg.label(URIRef("https://example.org/x")) == "https://example.org/x"
