"""Generate a synthetic ESCO CSV download (one language) in ESCO's own layout, deterministic from a seed.

What is written
---------------
The files of ESCO's CSV download that ``careergraph import esco`` reads, with
ESCO's file names, columns, column order and quoting (a cell is quoted only
when it has a comma, a quote or a line break; rows end in ``\\n``):

``skills_en.csv``
    conceptType, conceptUri, skillType (``skill/competence`` or
    ``knowledge``), reuseLevel, preferredLabel, altLabels (one label per line
    inside one quoted cell), hiddenLabels, status, modifiedDate, scopeNote,
    definition, inScheme (several schemes separated by ``", "``), description
    (some of several lines).
``occupations_en.csv``
    conceptType, conceptUri, iscoGroup (four digits), preferredLabel,
    altLabels, hiddenLabels, status, modifiedDate, regulatedProfessionNote,
    scopeNote, definition, inScheme, description, code (``2512.4``, or
    ``2512.4.1`` for a narrower occupation).
``occupationSkillRelations_en.csv``
    occupationUri, relationType (``essential`` / ``optional``), skillType,
    skillUri.
``broaderRelationsSkillPillar_en.csv``
    conceptType, conceptUri, broaderType, broaderUri: skill groups under skill
    groups (``skill/S1.2.3``, ``skill/T2``, ``isced-f/021``), skills under
    groups and under other skills (acyclic).
``skillSkillRelations_en.csv``
    originalSkillUri, originalSkillType, relationType, relatedSkillType,
    relatedSkillUri.

ISCO groups include ISCO-08's ICT unit groups (2511-2529), which hold the
ICT occupations (``--occupations 2512,2514`` selects some). Plus
``skillGroups_en.csv`` (the skill groups the hierarchy's upper rows
name) and two files the importer does not read (``ISCOGroups_en.csv``,
``broaderRelationsOccPillar_en.csv``), as a real download has them. IRIs are ESCO's forms: ``http://data.europa.eu/esco/skill/<uuid4>``,
``.../occupation/<uuid4>``, ``.../isco/C2512``.

Scales
------
full   13,900 skills (about 100,000 altLabels), 3,000 occupations, about
       126,000 occupation-skill relations, 20,000 broader rows, 5,800
       skill-skill relations: the size of ESCO v1.1/v1.2
small  300 skills, 60 occupations, in the same proportions (for tests)

A few relation rows (``--dangling``, 0.1 % by default) point at skill groups
or at skills the download does not have, as the importer must skip and count
them. Some labels are shared between concepts (altLabels of one that are the
preferred or alternative label of another), as in ESCO.

Usage::

    python benchmarks/esco_generate.py --out /tmp/esco-full
    python benchmarks/esco_generate.py --out /tmp/esco-small --scale small --seed 3

The same scale and seed always give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import uuid
from pathlib import Path

__all__ = ["SCALES", "generate", "FILES"]

BASE = "http://data.europa.eu/esco/"

#: Scale name -> (skills, occupations, mean skills per occupation).
SCALES = {"full": (13_900, 3_000, 42), "small": (300, 60, 20)}

#: The columns of each file, in ESCO's order.
FILES = {
    "skills_en.csv": ["conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel",
                      "altLabels", "hiddenLabels", "status", "modifiedDate", "scopeNote", "definition",
                      "inScheme", "description"],
    "occupations_en.csv": ["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels",
                           "hiddenLabels", "status", "modifiedDate", "regulatedProfessionNote",
                           "scopeNote", "definition", "inScheme", "description", "code"],
    "occupationSkillRelations_en.csv": ["occupationUri", "relationType", "skillType", "skillUri"],
    "broaderRelationsSkillPillar_en.csv": ["conceptType", "conceptUri", "broaderType", "broaderUri"],
    "skillSkillRelations_en.csv": ["originalSkillUri", "originalSkillType", "relationType",
                                   "relatedSkillType", "relatedSkillUri"],
    "ISCOGroups_en.csv": ["conceptType", "conceptUri", "code", "preferredLabel", "altLabels",
                          "inScheme", "description"],
    "skillGroups_en.csv": ["conceptType", "conceptUri", "preferredLabel", "altLabels", "hiddenLabels",
                           "status", "modifiedDate", "scopeNote", "inScheme", "description", "code"],
    "broaderRelationsOccPillar_en.csv": ["conceptType", "conceptUri", "broaderType", "broaderUri"],
}

# Words that labels are made of. Sectors follow the ISCO major groups.
SECTORS = {
    1: ("business", ["budgets", "staff", "operations", "contracts", "suppliers", "strategy", "risks",
                     "projects", "stakeholders", "policies", "resources", "performance"]),
    2: ("science and engineering", ["software", "databases", "algorithms", "experiments", "designs",
                                    "networks", "specifications", "prototypes", "models", "systems",
                                    "research data", "applications"]),
    3: ("technical", ["equipment", "measurements", "samples", "circuits", "installations", "sensors",
                      "calibrations", "inspections", "maintenance logs", "test results"]),
    4: ("clerical", ["records", "documents", "correspondence", "invoices", "schedules", "files",
                     "appointments", "payroll", "archives", "forms"]),
    5: ("service and sales", ["customers", "products", "orders", "menus", "bookings", "displays",
                              "complaints", "sales", "guests", "merchandise"]),
    6: ("agriculture", ["crops", "livestock", "soil", "irrigation systems", "fish stocks",
                        "greenhouses", "harvests", "forests", "feed", "seedlings"]),
    7: ("craft and trades", ["timber", "pipes", "wiring", "roofs", "metal parts", "tiles", "welds",
                             "engines", "brickwork", "textiles"]),
    8: ("machine operation", ["machinery", "conveyors", "presses", "vehicles", "pumps", "boilers",
                              "production lines", "cranes", "furnaces", "forklifts"]),
    9: ("elementary", ["waste", "cleaning materials", "loads", "shelves", "packages", "tools",
                       "premises", "debris", "goods", "containers"]),
}
VERBS = {
    "manage": ["oversee", "administer", "handle", "supervise"],
    "develop": ["create", "build", "design", "produce"],
    "maintain": ["service", "upkeep", "look after", "keep in working order"],
    "monitor": ["track", "watch", "observe", "keep track of"],
    "operate": ["run", "work", "use", "control"],
    "inspect": ["examine", "check", "assess", "verify"],
    "prepare": ["set up", "ready", "arrange", "organise"],
    "analyse": ["evaluate", "study", "examine", "interpret"],
    "install": ["fit", "mount", "set up", "put in place"],
    "repair": ["fix", "mend", "restore", "overhaul"],
    "clean": ["wash", "sanitise", "tidy", "clear"],
    "document": ["record", "log", "report on", "write up"],
    "plan": ["schedule", "organise", "coordinate", "programme"],
    "test": ["trial", "check", "try out", "validate"],
    "advise on": ["consult on", "give advice on", "counsel on", "recommend on"],
}
NOUNS = {"manage": "management", "develop": "development", "maintain": "maintenance",
         "monitor": "monitoring", "operate": "operation", "inspect": "inspection",
         "prepare": "preparation", "analyse": "analysis", "install": "installation",
         "repair": "repair", "clean": "cleaning", "document": "documentation", "plan": "planning",
         "test": "testing", "advise on": "advice on"}
QUALIFIERS = ["industrial", "hazardous", "digital", "electrical", "hydraulic", "commercial", "medical",
              "marine", "chemical", "mechanical", "public", "financial", "organic", "structural",
              "portable", "automated", "historic", "residential", "temporary", "precision",
              "outdoor", "specialised", "municipal", "renewable", "agricultural", "domestic"]
FIELDS = ["law", "chemistry", "accounting", "statistics", "ergonomics", "pharmacology", "geology",
          "food science", "acoustics", "hydraulics", "taxation", "logistics", "cartography",
          "metallurgy", "optics", "phonetics", "toxicology", "horticulture", "marketing", "ethics",
          "thermodynamics", "robotics", "oceanography", "criminology", "linguistics", "photonics"]
FIELD_KINDS = ["principles", "regulations", "techniques", "standards", "terminology", "methods",
               "theory", "legislation", "practices", "tools"]
ICT = ["Dart", "Kotlin", "Swift (computer programming)", "Java (computer programming)",
       "Python (computer programming)", "JavaScript", "TypeScript", "C++", "C#", "Go (computer programming)",
       "Objective-C", "Ruby (computer programming)", "PHP", "Scala", "Haskell", "Erlang", "Lisp",
       "SQL", "PostgreSQL", "MySQL", "NoSQL", "Git", "Apache Subversion", "Jenkins (tools for software "
       "configuration management)", "Ansible", "Puppet (tools for software configuration management)",
       "Docker", "Kubernetes", "cloud technologies", "cybersecurity", "ICT security legislation",
       "agile project management", "Scrum", "unit testing", "ICT performance analysis methods",
       "software design patterns", "software architecture models", "web programming", "mobile device "
       "software frameworks", "Android (mobile operating systems)", "iOS", "JSON", "LDAP", "LINQ",
       "computer programming", "ICT project management", "integrated development environment software",
       "ICT debugging tools", "systems development life-cycle", "tools for ICT test automation"]
OCCUPATION_HEADS = {1: ["manager", "director", "head of department", "coordinator"],
                    2: ["engineer", "scientist", "specialist", "analyst", "developer"],
                    3: ["technician", "inspector", "supervisor", "technologist"],
                    4: ["clerk", "administrator", "assistant", "officer"],
                    5: ["attendant", "salesperson", "adviser", "agent"],
                    6: ["farmer", "grower", "breeder", "worker"],
                    7: ["fitter", "installer", "mechanic", "repairer"],
                    8: ["operator", "driver", "machine tender", "assembler"],
                    9: ["labourer", "cleaner", "helper", "handler"]}
ICT_OCCUPATIONS = ["software developer", "mobile application developer", "ICT application developer",
                   "web developer", "database developer", "ICT project manager", "software architect",
                   "ICT security engineer", "data scientist", "software tester"]
SENTENCES = ["The methods and procedures used to {x}.", "Ensure that {x} meet the required standards.",
             "Follow the rules and guidelines that apply to {x}.", "Report problems with {x} to the "
             "responsible person.", "Keep {x} in line with safety and quality requirements.",
             "Use the tools and techniques suited to {x}."]
MODIFIED = "2023-11-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _date(rng: random.Random) -> str:
    return MODIFIED.format(rng.randint(1, 30), rng.randint(0, 23), rng.randint(0, 59),
                           rng.randint(0, 59), rng.randint(0, 999))


def _description(rng: random.Random, subject: str, lines: bool) -> str:
    text = [rng.choice(SENTENCES).format(x=subject) for _ in range(rng.randint(1, 3))]
    if lines:  # ESCO has descriptions of several lines (a list, a paragraph break)
        return text[0] + "\n\n" + "\n".join(f"- {s}" for s in text[1:] or [text[0]])
    return " ".join(text)


class _Labels:
    """Unique preferred labels; altLabels may repeat other concepts' labels, as in ESCO."""

    def __init__(self):
        self.taken: set[str] = set()

    def unique(self, label: str, rng: random.Random, qualifiers=QUALIFIERS) -> str:
        if label.lower() not in self.taken:
            self.taken.add(label.lower())
            return label
        for _ in range(50):
            other = f"{label} ({rng.choice(qualifiers)})"
            if other.lower() not in self.taken:
                self.taken.add(other.lower())
                return other
        n = 2
        while f"{label} {n}".lower() in self.taken:
            n += 1
        self.taken.add(f"{label} {n}".lower())
        return f"{label} {n}"


def _skill_labels(rng, sector, knowledge):
    """A preferred label and its altLabels for one skill of ``sector``."""
    objects = SECTORS[sector][1]
    if knowledge:
        field = rng.choice(FIELDS)
        kind = rng.choice(FIELD_KINDS)
        qual = rng.choice(QUALIFIERS)
        pref = f"{qual} {field} {kind}" if rng.random() < 0.6 else f"{field} {kind} for {rng.choice(objects)}"
        alts = [f"{kind} of {field}", f"{field} {kind}", f"{qual} {field}", f"{field}",
                f"{kind} in {qual} {field}", f"knowledge of {field} {kind}", f"{field} ({kind})",
                f"{qual} {kind} of {field}", f"{field} {kind} and guidelines", f"applied {field}",
                f"{field} {kind} for {rng.choice(objects)}"]
    else:
        verb = rng.choice(sorted(VERBS))
        obj = rng.choice(objects)
        if rng.random() < 0.5:
            obj = f"{rng.choice(QUALIFIERS)} {obj}"
        pref = f"{verb} {obj}"
        synonyms = VERBS[verb]
        alts = [f"{s} {obj}" for s in synonyms] + [f"{NOUNS[verb]} of {obj}", f"{obj} {NOUNS[verb]}",
                                                   f"{verb.split()[0]}ing {obj}".replace("eing ", "ing "),
                                                   f"carry out {NOUNS[verb]} of {obj}",
                                                   f"perform {NOUNS[verb]} of {obj}",
                                                   f"{verb} {obj} and related tasks",
                                                   f"ensure {NOUNS[verb]} of {obj}"]
    return pref, alts


def _write(path: Path, columns: list[str], rows) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
            n += 1
    return n


def generate(out, *, scale: str = "full", seed: int = 1, dangling: float = 0.001) -> dict[str, int]:
    """Write a synthetic ESCO CSV download into the folder ``out``; return the data rows per file."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    n_skills, n_occupations, per_occupation = SCALES[scale]
    rng = random.Random(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    labels = _Labels()
    written: dict[str, int] = {}

    # ISCO groups: 4-digit unit groups under each major group.
    isco = []
    for major in SECTORS:
        for sub in range(1, 5 if scale == "full" else 3):
            for minor in range(1, 4 if scale == "full" else 2):
                isco.append((major, f"{major}{sub}{minor}{rng.randint(1, 9)}"))
    ict_units = ["2511", "2512", "2513", "2514", "2519", "2521", "2522", "2523", "2529"]  # ISCO-08's ICT groups
    isco = sorted(set(isco) | {(2, code) for code in ict_units})
    isco_rows = [{"conceptType": "ISCOGroup", "conceptUri": f"{BASE}isco/C{code}", "code": code,
                  "preferredLabel": f"{SECTORS[major][0]} workers group {code}",
                  "inScheme": f"{BASE}concept-scheme/isco",
                  "description": f"Unit group {code} of the {SECTORS[major][0]} occupations."}
                 for major, code in isco]
    written["ISCOGroups_en.csv"] = _write(out / "ISCOGroups_en.csv", FILES["ISCOGroups_en.csv"], isco_rows)

    # Skill groups: S (skills), T (transversal), isced-f (knowledge), as ESCO's skill pillar has them.
    groups: list[tuple[str, str, str | None, int]] = []  # (iri, label, parent iri, sector)
    for major in SECTORS:
        top = f"{BASE}skill/S{major}"
        groups.append((top, f"{SECTORS[major][0]} skills", None, major))
        for i in range(1, 9 if scale == "full" else 3):
            mid = f"{top}.{i}"
            groups.append((mid, f"{SECTORS[major][0]} skills group {major}.{i}", top, major))
            for j in range(1, 9 if scale == "full" else 2):
                groups.append((f"{mid}.{j}", f"{SECTORS[major][0]} skills group {major}.{i}.{j}", mid, major))
        field = f"{BASE}isced-f/0{major}"
        groups.append((field, f"{SECTORS[major][0]} knowledge", None, major))
        for i in range(1, 4 if scale == "full" else 2):
            groups.append((f"{field}{i}", f"{SECTORS[major][0]} knowledge field 0{major}{i}", field, major))
    for t in range(1, 7):
        groups.append((f"{BASE}skill/T{t}", f"transversal skills group T{t}", None, 0))
    group_rows = [{"conceptType": "SkillGroup", "conceptUri": iri, "preferredLabel": label,
                   "status": "released", "modifiedDate": _date(rng),
                   "inScheme": f"{BASE}concept-scheme/skills-hierarchy",
                   "code": iri.rsplit("/", 1)[1]} for iri, label, _, _ in groups]
    written["skillGroups_en.csv"] = _write(out / "skillGroups_en.csv", FILES["skillGroups_en.csv"], group_rows)
    leaf_groups: dict[int, list[str]] = {}
    for iri, _, parent, sector in groups:
        if parent is not None or sector == 0:
            leaf_groups.setdefault(sector, []).append(iri)

    # Skills.
    skills = []  # dicts with the CSV row plus "sector"
    reuse = ["transversal"] * 1 + ["cross-sector"] * 10 + ["sector-specific"] * 47 + ["occupation-specific"] * 42
    for i in range(n_skills):
        sector = rng.randint(1, 9)
        if i < len(ICT):
            pref, alts, knowledge, sector = ICT[i], [], True, 2
            alts = [f"{ICT[i].split(' (')[0]} programming"] if "(" in ICT[i] else []
        else:
            knowledge = rng.random() < 0.23
            pref, alts = _skill_labels(rng, sector, knowledge)
        pref = labels.unique(pref, rng)
        alts = [a for a in dict.fromkeys(alts) if a.lower() != pref.lower()]
        rng.shuffle(alts)
        alts = alts[:rng.choice([0, 4, 6, 7, 8, 9, 10, 11, 12])] if alts else []
        level = "transversal" if i >= len(ICT) and rng.random() < 0.01 else rng.choice(reuse)
        schemes = [f"{BASE}concept-scheme/skills", f"{BASE}concept-scheme/member-skills"]
        if level == "transversal":
            schemes.append(f"{BASE}concept-scheme/skill-transversal-groups")
        subject = pref if knowledge else SECTORS[sector][1][i % len(SECTORS[sector][1])]
        skills.append({
            "conceptType": "KnowledgeSkillCompetence", "conceptUri": f"{BASE}skill/{_uuid(rng)}",
            "skillType": "knowledge" if knowledge else "skill/competence", "reuseLevel": level,
            "preferredLabel": pref, "altLabels": "\n".join(alts),
            "hiddenLabels": f"{pref}s" if rng.random() < 0.03 else "", "status": "released",
            "modifiedDate": _date(rng),
            "scopeNote": f"Includes {rng.choice(QUALIFIERS)} {subject}." if rng.random() < 0.05 else "",
            "definition": "", "inScheme": ", ".join(schemes),
            "description": _description(rng, subject, rng.random() < 0.1), "sector": sector})
    by_sector: dict[int, list[int]] = {}
    for i, s in enumerate(skills):
        by_sector.setdefault(s["sector"], []).append(i)
    written["skills_en.csv"] = _write(out / "skills_en.csv", FILES["skills_en.csv"], skills)

    # Occupations: each in a unit group of its sector; some narrower than another (code 2512.4.1).
    occupations = []
    units: dict[int, list[str]] = {}
    for major, code in isco:
        units.setdefault(major, []).append(code)
    per_unit: dict[str, int] = {}
    for i in range(n_occupations):
        if i < len(ICT_OCCUPATIONS):
            sector, pref = 2, ICT_OCCUPATIONS[i]
            group = rng.choice(ict_units)
        else:
            sector = rng.randint(1, 9)
            group = rng.choice(units[sector])
            obj = rng.choice(SECTORS[sector][1])
            head = rng.choice(OCCUPATION_HEADS[sector])
            pref = f"{rng.choice(QUALIFIERS)} {obj} {head}" if rng.random() < 0.7 else f"{obj} {head}"
        pref = labels.unique(pref, rng)
        base = pref.split(" (")[0]
        words = base.split()
        alts = [f"{base} (general)", f"{' '.join(words[1:])} {words[0]}" if len(words) > 2 else f"senior {base}",
                f"{base} specialist", f"assistant {base}", f"{words[-1]} for {' '.join(words[:-1]) or base}",
                f"{base} trainee", f"chief {base}", f"{base}/{words[-1]}ess", f"junior {base}",
                f"lead {base}", f"{base} in charge"]
        rng.shuffle(alts)
        alts = [a for a in dict.fromkeys(alts[:rng.randint(2, 11)]) if a.lower() != pref.lower()]
        per_unit[group] = per_unit.get(group, 0) + 1
        parent = occupations[-1] if occupations and rng.random() < 0.15 and occupations[-1]["iscoGroup"] == group else None
        code = f"{parent['code']}.{rng.randint(1, 9)}" if parent else f"{group}.{per_unit[group]}"
        occupations.append({
            "conceptType": "Occupation", "conceptUri": f"{BASE}occupation/{_uuid(rng)}", "iscoGroup": group,
            "preferredLabel": pref, "altLabels": "\n".join(alts),
            "hiddenLabels": "", "status": "released", "modifiedDate": _date(rng),
            "regulatedProfessionNote": f"{BASE}regulated-professions/"
                                       + ("unregulated" if rng.random() < 0.9 else "regulated"),
            "scopeNote": "", "definition": "", "inScheme": f"{BASE}concept-scheme/occupations, "
                                                          f"{BASE}concept-scheme/member-occupations",
            "description": _description(rng, f"the work of a {base}", rng.random() < 0.2),
            "code": code, "sector": sector, "parent": parent["conceptUri"] if parent else None})
    written["occupations_en.csv"] = _write(out / "occupations_en.csv", FILES["occupations_en.csv"], occupations)
    occ_pillar = [{"conceptType": "Occupation", "conceptUri": o["conceptUri"],
                   "broaderType": "Occupation" if o["parent"] else "ISCOGroup",
                   "broaderUri": o["parent"] or f"{BASE}isco/C{o['iscoGroup']}"} for o in occupations]
    written["broaderRelationsOccPillar_en.csv"] = _write(out / "broaderRelationsOccPillar_en.csv",
                                                         FILES["broaderRelationsOccPillar_en.csv"], occ_pillar)

    # Occupation-skill relations: mostly skills of the occupation's sector, popular ones more often.
    popular = [i for i, s in enumerate(skills) if s["reuseLevel"] in ("transversal", "cross-sector")]
    group_iris = [g[0] for g in groups]
    relations = []
    for o in occupations:
        size = max(3, min(int(rng.gauss(per_occupation, per_occupation / 3)), 3 * per_occupation))
        own = by_sector.get(o["sector"], [])
        chosen: dict[int, None] = {}
        for _ in range(size * 3):
            if len(chosen) >= size:
                break
            pool = own if rng.random() < 0.75 else popular or own
            # a power-law pick: low indexes of the pool are the popular skills
            chosen.setdefault(pool[min(int(len(pool) * rng.random() ** 2.2), len(pool) - 1)], None)
        for i in chosen:
            s = skills[i]
            relations.append({"occupationUri": o["conceptUri"],
                              "relationType": "essential" if rng.random() < 0.55 else "optional",
                              "skillType": s["skillType"], "skillUri": s["conceptUri"]})
            if rng.random() < dangling:  # a row pointing at a skill group, or at a skill not in the file
                target = rng.choice(group_iris) if rng.random() < 0.5 else f"{BASE}skill/{_uuid(rng)}"
                relations.append({"occupationUri": o["conceptUri"], "relationType": "optional",
                                  "skillType": "skill/competence", "skillUri": target})
    written["occupationSkillRelations_en.csv"] = _write(out / "occupationSkillRelations_en.csv",
                                                        FILES["occupationSkillRelations_en.csv"], relations)

    # The skill pillar: group under group, each skill under a group, some under an earlier skill
    # of the same sector (so skill-to-skill broader links never form a cycle), some twice.
    broader = [{"conceptType": "SkillGroup", "conceptUri": iri, "broaderType": "SkillGroup",
                "broaderUri": parent} for iri, _, parent, _ in groups if parent]
    rank = {i: k for same in by_sector.values() for k, i in enumerate(same)}
    for i, s in enumerate(skills):
        same = by_sector[s["sector"]]
        parents: list[str] = []
        if s["reuseLevel"] == "transversal":
            parents.append(rng.choice(leaf_groups[0]))
        elif s["skillType"] == "knowledge":
            parents.append(rng.choice([g for g in leaf_groups[s["sector"]] if "isced-f" in g]))
        else:
            parents.append(rng.choice([g for g in leaf_groups[s["sector"]] if "isced-f" not in g]))
        if rank[i] > 0 and rng.random() < 0.33:
            earlier = same[max(0, rank[i] - 40):rank[i]]
            parents.insert(0, skills[rng.choice(earlier)]["conceptUri"])
        if rng.random() < 0.1:
            extra = rng.choice(leaf_groups[rng.randint(1, 9)])
            if extra not in parents:
                parents.append(extra)
        for parent in parents:
            broader.append({"conceptType": "KnowledgeSkillCompetence", "conceptUri": s["conceptUri"],
                            "broaderType": "SkillGroup" if "/skill/S" in parent or "/skill/T" in parent
                            or "isced-f" in parent else "KnowledgeSkillCompetence",
                            "broaderUri": parent})
    written["broaderRelationsSkillPillar_en.csv"] = _write(out / "broaderRelationsSkillPillar_en.csv",
                                                           FILES["broaderRelationsSkillPillar_en.csv"], broader)

    # Skill-skill relations (about 0.42 per skill, as in ESCO).
    related = []
    seen = set()
    for _ in range(int(n_skills * 0.42)):
        a = rng.randrange(n_skills)
        same = by_sector[skills[a]["sector"]]
        b = rng.choice(same)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        related.append({"originalSkillUri": skills[a]["conceptUri"], "originalSkillType": skills[a]["skillType"],
                        "relationType": "essential" if rng.random() < 0.6 else "optional",
                        "relatedSkillType": skills[b]["skillType"], "relatedSkillUri": skills[b]["conceptUri"]})
    written["skillSkillRelations_en.csv"] = _write(out / "skillSkillRelations_en.csv",
                                                   FILES["skillSkillRelations_en.csv"], related)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="The folder to write the CSV files into.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--dangling", type=float, default=0.001,
                        help="The share of relation rows pointing at concepts the download lacks.")
    args = parser.parse_args(argv)
    written = generate(args.out, scale=args.scale, seed=args.seed, dangling=args.dangling)
    for name, n in written.items():
        print(f"{n:>8} rows  {Path(args.out) / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
