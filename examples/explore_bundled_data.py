"""Explore the bundled dataset with the Python API, and check what we find.

Run: python examples/explore_bundled_data.py
"""

from careergraph.graph import load
from careergraph.ontology import CG

kg = load()

# Which roles staff the Media & File Service?
media = kg.resolve("Media & File Service")
roles = sorted(kg.label(r) for r in kg.graph.objects(media, CG.staffedBy))
print("Media & File Service is staffed by:", ", ".join(roles))
assert "Storage engineer" in roles and len(roles) == 5

# Which skills does the Senior posting at Effective require that the seed author lacks or lacks through?
person = kg.resolve("person:seed-author")
posting = kg.resolve("Senior Flutter Developer at Effective")
held = set(kg.graph.objects(person, CG.hasSkill))
required = set(kg.graph.objects(posting, CG.requiresSkill))
missing = sorted(kg.label(s) for s in required - held)
print("Not held directly:", ", ".join(missing))
assert "Dart VM" in missing and "BLoC" not in missing

# Where does a fact come from?
dart = kg.resolve("Dart")
for source in kg.sources_of(person, CG.hasSkill, dart):
    print(f"'{kg.label(person)} has Dart' comes from: {source.label} ({source.file})")
assert [s.kind for s in kg.sources_of(person, CG.hasSkill, dart)] == ["seed"]
