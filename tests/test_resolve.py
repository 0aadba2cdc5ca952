"""Names people type resolve to one entity, or fail with candidates or suggestions."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- on a workspace: the same answers, read from Oxigraph without an rdflib Dataset -------------------
@pytest.fixture(scope="module")
def ws_kg(template, tmp_path_factory):
    import shutil

    from careergraph.graph.workspace import open_workspace

    folder = tmp_path_factory.mktemp("resolve") / "ws"
    shutil.copytree(template, folder)
    with open_workspace(folder) as ws:
        yield ws.knowledge_graph()


def test_workspace_label_index_is_the_rdflib_one(ws_kg):
    from careergraph.graph.resolve import LabelIndex

    native, plain = LabelIndex(store=ws_kg.oxigraph), LabelIndex(ws_kg.graph)
    assert native.types == plain.types and native.tiers == plain.tiers
    assert len(native.tiers[0]) > 50, "the bundled data's labels are there"


@pytest.mark.parametrize("name", ["skill:dart", "https://w3id.org/careergraph/skill/dart", "DART VM",
                                  "Dart runtime", "Точка Знаний", "flutter_bloc", "Flutter Developer"])
def test_workspace_resolves_like_memory(kg, ws_kg, name):
    try:
        expected = kg.resolve(name, kind="skill" if name.startswith("skill") else None)
    except AmbiguousEntityError as err:
        with pytest.raises(AmbiguousEntityError) as again:
            ws_kg.resolve(name)
        assert str(again.value) == str(err)
        return
    assert ws_kg.resolve(name, kind="skill" if name.startswith("skill") else None) == expected


def test_workspace_lookups_need_no_rdflib_dataset(ws_dir):
    """IRIs, CURIEs, labels, kinds and objects are read from Oxigraph: the Dataset is never made."""
    from careergraph.graph.workspace import open_workspace
    from careergraph.ontology import CG

    with open_workspace(ws_dir) as ws:
        kg = ws.knowledge_graph()
        dart = kg.resolve("skill:dart")
        assert kg.resolve("Dart runtime") == kg.resolve("skill:dart-vm")
        assert kg.kind_of(dart) == "skill" and kg.label(dart) == "Dart"
        assert kg.entities("posting") and [float(h) for h in kg.objects(dart, CG.effortHours)] == [80.0]
        assert kg._dataset is None


def test_workspace_label_table_answers_like_the_index(ws_dir):
    """The saved SQLite table gives the in-memory index's answers, and is rebuilt when the data changes."""
    from careergraph.graph.resolve import LabelIndex, LabelTable, _classes
    from careergraph.graph.workspace import open_workspace

    names = ["Dart", "DART VM", "Dart runtime", "Точка Знаний", "tochka znaniy", "flutter_bloc",
             "Flutter Developer", "effective-senior-flutter-developer", "BLoC / Cubit", "no such thing"]
    with open_workspace(ws_dir) as ws:
        kg = ws.knowledge_graph()
        table = LabelTable.of(kg, kg.index_folder)
        index = LabelIndex(store=kg.oxigraph)
        for name in names:
            for kind in (None, "skill", ("posting", "role"), "organization"):
                classes = _classes(kind)
                assert table.lookup(name, classes) == index.lookup(name, classes), (name, kind)
        assert set(table.names(_classes("skill"))) == set(index.names(_classes("skill")))
        assert LabelTable.of(kg, kg.index_folder).path.stat().st_mtime_ns == table.path.stat().st_mtime_ns
        extra = ws_dir.parent / "extra.ttl"
        extra.write_text("@prefix cg: <https://w3id.org/careergraph/ns#> .\n"
                         "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
                         "<https://w3id.org/careergraph/skill/zig> a cg:Skill ; skos:prefLabel \"Zig\" .\n"
                         "<https://w3id.org/careergraph/skill/dart> skos:altLabel \"Flutter Developer\" ;\n"
                         "  skos:prefLabel \"Dart 3\" .\n",
                         encoding="utf-8")
        ws.add(extra)  # no indexed fact: the table takes in the file's entities instead of being rebuilt
        again = LabelTable.of(kg, kg.index_folder)
        assert again.path.stat().st_ino == table.path.stat().st_ino
        assert again.lookup("zig", None) == [kg.resolve("skill:zig")]
        index = LabelIndex(store=kg.oxigraph)
        for name in [*names, "Zig", "Dart 3", "dart-3"]:
            for kind in (None, "skill", ("posting", "role"), "organization"):
                classes = _classes(kind)
                assert again.lookup(name, classes) == index.lookup(name, classes), (name, kind)
        assert set(again.names(None)) == set(index.names(None))


@pytest.mark.parametrize("scan_min", [0, 10 ** 9], ids=["each property read whole", "each IRI looked up"])
def test_prefetched_labels_are_the_ones_read_one_at_a_time(ws_dir, monkeypatch, scan_min):
    """Labels read in bulk (as a 100,000-row ranking does) equal :func:`label`'s, languages and repeats included."""
    from rdflib import URIRef

    from careergraph.graph import load
    from careergraph.graph import resolve as resolve_module
    from careergraph.graph.workspace import open_workspace

    extra = ws_dir.parent / "labels.ttl"
    extra.write_text(
        "@prefix cg: <https://w3id.org/careergraph/ns#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "<https://w3id.org/careergraph/skill/zig> a cg:Skill ; skos:prefLabel \"Zig\"@de, \"Ziglang\"@en, \"Zed\" .\n"
        "<https://w3id.org/careergraph/skill/odin> a cg:Skill ; skos:prefLabel \"Odin\"@fr, \"Odyn\"@de .\n"
        "<https://w3id.org/careergraph/posting/two-titles> a cg:JobPosting ; schema:title \"B title\", \"A title\" .\n"
        "<https://w3id.org/careergraph/skill/unnamed> a cg:Skill .\n"
        "<https://w3id.org/careergraph/skill/dart> rdfs:label \"Dart (rdfs)\" .\n",
        encoding="utf-8")
    memory = load(extra)
    iris = sorted({s for s in memory.graph.subjects() if isinstance(s, URIRef)
                   and s.startswith("https://w3id.org/careergraph/") and "/source/" not in s})  # sources differ
    with open_workspace(ws_dir) as ws:
        ws.add(extra)
        kg = ws.knowledge_graph()
        monkeypatch.setattr(resolve_module, "PREFETCH_MIN", 0)
        monkeypatch.setattr(resolve_module, "_SCAN_MIN", scan_min)
        resolve_module.prefetch_labels(kg, iris)
        prefetched = dict(kg._labels[1])
        assert len(prefetched) == len(iris)
        kg._labels = None  # forget them: now one at a time, as before
        for iri in iris:
            assert prefetched[iri] == kg.label(iri) == memory.label(iri), iri
    assert prefetched[URIRef("https://w3id.org/careergraph/posting/two-titles")] == "A title"
    assert prefetched[URIRef("https://w3id.org/careergraph/skill/dart")] == "Dart (rdfs)"


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from("abcdeé dart-1"), max_size=8),
       st.lists(st.text(st.sampled_from("abcdeé dart-1\u4e00"), max_size=12), max_size=40),
       st.integers(1, 6), st.sampled_from([0.0, 0.3, 0.6, 0.9]))
def test_close_matches_are_difflibs(word, candidates, n, cutoff):
    """The bounded search returns what difflib returns, order and ties included."""
    import difflib

    from careergraph.graph.resolve import close_matches

    assert close_matches(word, candidates, n, cutoff) == difflib.get_close_matches(word, candidates, n, cutoff)


def test_close_matches_at_scale_are_difflibs():
    import difflib
    import random

    from careergraph.graph.resolve import close_matches

    rnd = random.Random(5)
    words = ["test", "developer", "data", "reactive", "fresh", "posting", "kotlin", "flutter"]
    names = [f"{rnd.choice(words)} {rnd.choice(words)} {rnd.randint(1, 99999)}" for _ in range(30000)]
    for query in ("test develper 6084", "fresh postin 17", "kotlin", "zzzz"):
        assert close_matches(query, names, 5, 0.6) == difflib.get_close_matches(query, names, 5, 0.6)


def test_an_empty_name_names_nothing_and_suggests_nothing():
    from careergraph.graph import load

    for name in ("", "   "):
        with pytest.raises(UnknownEntityError) as err:
            load().resolve(name, kind="posting")
        assert "did you mean" not in str(err.value)


def test_an_ambiguous_name_of_many_entities_lists_a_few_and_counts_the_rest():
    from rdflib import RDF, Literal, URIRef

    from careergraph.graph import load
    from careergraph.ontology import CG, SCHEMA

    kg = load()
    many = 25
    for i in range(many):
        posting = URIRef(f"https://w3id.org/careergraph/posting/web-{i:02d}")
        kg.graph.graph(URIRef("urn:test")).add((posting, RDF.type, CG.JobPosting))
        kg.graph.graph(URIRef("urn:test")).add((posting, SCHEMA.title, Literal("Web developer")))
    kg._index = None
    with pytest.raises(AmbiguousEntityError) as info:
        kg.resolve("web developer")
    message = str(info.value)
    assert len(info.value.candidates) == many
    assert message.count("posting:web-") == AmbiguousEntityError.SHOWN
    assert f"and {many - AmbiguousEntityError.SHOWN} more" in message


def test_a_whole_word_of_a_longer_name_is_suggested():
    from rdflib import RDF, RDFS, Literal, URIRef

    from careergraph.graph import load
    from careergraph.ontology import CG

    kg = load()
    person = URIRef("https://w3id.org/careergraph/person/tester-1")
    kg.graph.graph(URIRef("urn:test")).add((person, RDF.type, CG.Person))
    kg.graph.graph(URIRef("urn:test")).add((person, RDFS.label, Literal("Vera Tester")))
    kg._index = None
    with pytest.raises(UnknownEntityError) as info:
        kg.resolve("vera", kind="person")
    assert info.value.suggestions == ["Vera Tester (person:tester-1)"]
    with pytest.raises(UnknownEntityError) as info:
        kg.resolve("ver", kind="person")  # not a whole word
    assert info.value.suggestions == []
