"""Import the ESCO taxonomy from its official CSV download, keeping ESCO's IRIs and terms."""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from careergraph.ontology import CG, ESCO

from .errors import InvalidDataError, UsageError
from .importing import new_graph, ordinary_file

__all__ = ["EscoImport", "import_esco", "NTriplesWriter", "ESCO_FILES", "ESCO_BASE"]

ESCO_BASE = "http://data.europa.eu/esco/"

#: The files of ESCO's CSV download that are read, with the columns each needs.
ESCO_FILES = {
    "skills": ("skills_{lang}.csv", ("conceptUri", "preferredLabel")),
    "occupations": ("occupations_{lang}.csv", ("conceptUri", "preferredLabel")),
    "relations": ("occupationSkillRelations_{lang}.csv", ("occupationUri", "relationType", "skillUri")),
    "groups": ("skillGroups_{lang}.csv", ("conceptUri", "preferredLabel")),
    "broader": ("broaderRelationsSkillPillar_{lang}.csv", ("conceptUri", "broaderUri")),
    "skill_relations": ("skillSkillRelations_{lang}.csv",
                        ("originalSkillUri", "relationType", "relatedSkillUri")),
}
_REQUIRED_FILES = ("skills", "occupations")

_SKILL_TYPES = {"skill/competence": "skill", "skill": "skill", "competence": "skill", "knowledge": "knowledge"}
_REUSE_LEVELS = {"transversal", "cross-sector", "sector-specific", "occupation-specific"}
_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_PROGRESS_EVERY = 2000


@dataclass
class EscoImport:
    """What :func:`import_esco` read.

    Counts are of what went into ``graph``: occupations, skills, essential
    and optional occupation-skill relations (``cg:needsSkill`` and
    ``esco:relatedOptionalSkill``), ``skos:broader`` links between skills,
    and skill-skill relations, and ESCO's skill groups (the upper levels of
    its skill hierarchy). ``skipped`` counts, per file, rows that point at a
    concept not in the download; ``filtered`` counts rows left out by the
    occupation filter.
    """

    graph: object
    occupations: int = 0
    skills: int = 0
    essential: int = 0
    optional: int = 0
    broader: int = 0
    skill_relations: int = 0
    skill_groups: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    filtered: dict[str, int] = field(default_factory=dict)
    missing_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"occupations": self.occupations, "skills": self.skills, "essential": self.essential,
                "optional": self.optional, "broader": self.broader,
                "skill_relations": self.skill_relations, "skill_groups": self.skill_groups,
                "skipped": dict(self.skipped),
                "filtered": dict(self.filtered), "missing_files": list(self.missing_files),
                "warnings": list(self.warnings)}


class NTriplesWriter:
    """A write-only graph that streams N-Triples to a file, atomically.

    Use it as the ``graph`` of :func:`import_esco` to import the whole of
    ESCO without holding it in memory. The file appears (``os.replace``)
    only when the ``with`` block ends without an error.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.count = 0
        self._fh = None
        self._tmp = None

    def __enter__(self):
        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise InvalidDataError("the folder to write into does not exist", path=self.path)
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        ordinary_file(self._tmp)
        self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self

    def add(self, triple) -> None:
        self._fh.write(" ".join(_nt(term) for term in triple) + " .\n")
        self.count += 1

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)
        return False


def _nt(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    text = (str(term).replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r"))
    if term.language:
        return f'"{text}"@{term.language}'
    if term.datatype:
        return f'"{text}"^^<{term.datatype}>'
    return f'"{text}"'


class _Counter:
    def __init__(self, total, progress):
        self.total, self.done, self.progress = total, 0, progress

    def report(self):
        if self.progress is not None:
            self.progress(self.done, self.total)


def _rows(path: Path, needed: tuple, counter: _Counter):
    """Yield (line, {column: value}) for the rows of an ESCO CSV file, reading by header name."""

    def lines():
        with open(path, "rb") as fh:
            first = True
            number = 0
            for raw in fh:
                number += 1
                counter.done += len(raw)
                try:
                    text = raw.decode("utf-8-sig" if first else "utf-8")
                except UnicodeDecodeError as err:
                    raise InvalidDataError(f"not UTF-8 text ({err.reason})", path=path, line=number) from err
                first = False
                yield text

    reader = csv.reader(lines(), strict=True)
    previous = 0  # the last line of the last complete row
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidDataError("the file is empty: expected a header row", path=path, line=1)
        columns = {name.strip(): i for i, name in enumerate(header)}
        missing = [c for c in needed if c not in columns]
        if missing:
            raise InvalidDataError(f"missing column {missing[0]!r} (the header has: {', '.join(header)})",
                                   path=path, line=1)
        previous, rows = reader.line_num, 0
        for row in reader:
            line = previous + 1
            if not any(cell.strip() for cell in row):
                previous = reader.line_num
                continue
            if len(row) != len(header):
                raise InvalidDataError(_field_count(row, header, line, reader.line_num), path=path, line=line)
            previous = reader.line_num
            yield line, {name: row[i] for name, i in columns.items()}
            rows += 1
            if rows % _PROGRESS_EVERY == 0:
                counter.report()
        counter.report()
    except csv.Error as err:
        # the row that went wrong starts after the last good one; the csv module may notice later
        start = previous + 1
        noticed = f" (noticed on line {reader.line_num})" if reader.line_num > start else ""
        hint = "; is a quote (\") left open?" if '"' in str(err) or "end of data" in str(err) else ""
        raise InvalidDataError(f"malformed CSV in the row starting on this line{noticed}: {err}{hint}",
                               path=path, line=start) from err


def _field_count(row, header, line, end) -> str:
    lines = f", over lines {line}-{end}" if end > line else ""
    hint = ("a quoted cell may run into the next rows: is a quote (\") left open?" if len(row) > len(header)
            else "is a field or a comma missing?")
    return f"the row has {len(row)} fields{lines} but the header has {len(header)}; {hint}"


def _iri(value: str, column: str, path: Path, line: int) -> URIRef:
    value = value.strip()
    if not _IRI.match(value):
        raise InvalidDataError(f"{column} {value!r} is not an IRI", path=path, line=line)
    return URIRef(value)


def _labels(cell: str) -> list[str]:
    return [" ".join(part.split()) for part in cell.splitlines() if part.strip()]


class _Builder:
    def __init__(self, graph, lang, result: EscoImport):
        self.graph, self.lang, self.result = graph, lang, result

    def text(self, value):
        return Literal(" ".join(value.split()), lang=self.lang)

    def concept(self, iri, row, *, rdfs_label=False):
        add, text = self.graph.add, self.text
        label = " ".join(row["preferredLabel"].split())
        add((iri, SKOS.prefLabel, text(label)))
        if rdfs_label:
            add((iri, RDFS.label, text(label)))
        for alt in _labels(row.get("altLabels", "")):
            add((iri, SKOS.altLabel, text(alt)))
        for hidden in _labels(row.get("hiddenLabels", "")):
            add((iri, SKOS.hiddenLabel, text(hidden)))
        for column, prop in (("definition", SKOS.definition), ("scopeNote", SKOS.scopeNote),
                             ("description", DCTERMS.description)):
            value = row.get(column, "").strip()
            if value:
                add((iri, prop, Literal(value, lang=self.lang)))

    def skill(self, iri, row, path, line):
        if not row["preferredLabel"].strip():
            raise InvalidDataError("preferredLabel is empty", path=path, line=line)
        add = self.graph.add
        add((iri, RDF.type, ESCO.Skill))
        add((iri, RDF.type, CG.Skill))
        self.concept(iri, row)
        skill_type = row.get("skillType", "").strip()
        if skill_type:
            if skill_type not in _SKILL_TYPES:
                raise InvalidDataError(f"unknown skillType {skill_type!r}; ESCO uses skill/competence "
                                       "or knowledge", path=path, line=line)
            add((iri, ESCO.skillType, URIRef(f"{ESCO_BASE}skill-type/{_SKILL_TYPES[skill_type]}")))
        reuse = row.get("reuseLevel", "").strip()
        if reuse:
            if reuse not in _REUSE_LEVELS:
                raise InvalidDataError(f"unknown reuseLevel {reuse!r}; ESCO uses "
                                       f"{', '.join(sorted(_REUSE_LEVELS))}", path=path, line=line)
            add((iri, ESCO.skillReuseLevel, URIRef(f"{ESCO_BASE}skill-reuse-level/{reuse}")))
        self.result.skills += 1

    def group(self, iri, row, path, line):
        """A skill group: a broad skill (no hours), met by learning a skill under it."""
        if not row["preferredLabel"].strip():
            raise InvalidDataError("preferredLabel is empty", path=path, line=line)
        self.graph.add((iri, RDF.type, CG.Skill))
        self.concept(iri, row)
        code = row.get("code", "").strip()
        if code:
            self.graph.add((iri, SKOS.notation, Literal(code)))
        self.result.skill_groups += 1

    def occupation(self, iri, row, path, line):
        if not row["preferredLabel"].strip():
            raise InvalidDataError("preferredLabel is empty", path=path, line=line)
        add = self.graph.add
        add((iri, RDF.type, ESCO.Occupation))
        add((iri, RDF.type, CG.Role))
        self.concept(iri, row, rdfs_label=True)
        group = _isco(row)
        if group:
            add((iri, ESCO.memberOfISCOGroup, URIRef(f"{ESCO_BASE}isco/C{group}")))
        code = row.get("code", "").strip()
        if code:
            add((iri, SKOS.notation, Literal(code)))
        self.result.occupations += 1


def _isco(row) -> str:
    return row.get("iscoGroup", "").strip().lstrip("Cc")


def _filters(occupations: Iterable[str]) -> tuple[set[str], set[str]]:
    codes, uris = set(), set()
    for item in occupations:
        item = str(item).strip()
        if not item:
            continue
        if re.fullmatch(r"[Cc]?\d{1,4}", item):
            codes.add(item.lstrip("Cc"))
        elif _IRI.match(item):
            uris.add(item)
        else:
            raise UsageError(f"--occupations takes ISCO group codes (such as 2512) or occupation IRIs, "
                             f"not {item!r}")
    return codes, uris


def import_esco(folder, *, occupations: Iterable[str] | None = None, language: str = "en",
                progress: Callable[[int, int], None] | None = None, graph=None) -> EscoImport:
    """Read ESCO's CSV download (one language) into RDF, keeping ESCO's IRIs and terms.

    Skills become ``esco:Skill`` and ``cg:Skill`` with SKOS labels (altLabels
    are the lines of one cell), ``esco:skillType`` and ``esco:skillReuseLevel``;
    occupations become ``esco:Occupation`` and ``cg:Role`` with
    ``esco:memberOfISCOGroup``. Essential occupation-skill relations become
    ``cg:needsSkill``, optional ones ``esco:relatedOptionalSkill``; skill
    hierarchy rows become ``skos:broader``, skill-skill relations
    ``esco:relatedEssentialSkill`` / ``esco:relatedOptionalSkill``. Skill
    groups become ``cg:Skill`` without hours (a requirement on a group is met
    by any skill under it) with their labels and code (``skos:notation``), so
    the hierarchy keeps its upper levels. Columns
    are found by header name, so extra columns do no harm. Files are
    streamed row by row.

    Parameters
    ----------
    folder : str or Path
        The unpacked download: ``skills_en.csv`` and ``occupations_en.csv``
        are required; ``occupationSkillRelations_en.csv``, ``skillGroups_en.csv``,
        ``broaderRelationsSkillPillar_en.csv`` and ``skillSkillRelations_en.csv``
        are read when present.
    occupations : iterable of str, optional
        Keep only occupations in these ISCO groups (a code such as ``2512``,
        or a prefix such as ``25``) or with these IRIs, the skills they
        relate to, and those skills' broader skills.
    language : str
        The language suffix of the files and the tag of the labels.
    progress : callable, optional
        Called as ``progress(bytes_read, total_bytes)`` while reading.
    graph : optional
        Where triples go (anything with ``add``), such as a
        :class:`NTriplesWriter`; a new rdflib Graph by default.

    Returns
    -------
    EscoImport

    Raises
    ------
    InvalidDataError
        A required file or column is missing, a row is malformed (the file
        and line are named), or an IRI is not an IRI.
    UsageError
        An ``occupations`` item is neither an ISCO code nor an IRI.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidDataError("not a folder: give the folder of ESCO's unpacked CSV download", path=folder)
    graph = new_graph() if graph is None else graph
    result = EscoImport(graph)
    paths = {key: folder / name.format(lang=language) for key, (name, _) in ESCO_FILES.items()}
    for key in _REQUIRED_FILES:
        if not paths[key].is_file():
            raise InvalidDataError(f"missing {paths[key].name}: is this ESCO's CSV download "
                                   f"(language {language!r})?", path=folder)
    for key, path in paths.items():
        if key not in _REQUIRED_FILES and not path.is_file():
            result.missing_files.append(path.name)
    counter = _Counter(sum(p.stat().st_size for p in paths.values() if p.is_file()), progress)
    build = _Builder(graph, language, result)
    skipped = {p.name: 0 for p in paths.values() if p.is_file()}
    filtered = {p.name: 0 for p in paths.values() if p.is_file()}

    def rows(key):
        path = paths[key]
        if not path.is_file():
            return
        yield from ((path, line, row) for line, row in _rows(path, ESCO_FILES[key][1], counter))

    def relation(occ, kind, skill, path, line):
        if kind == "essential":
            graph.add((occ, CG.needsSkill, skill))
            result.essential += 1
        elif kind == "optional":
            graph.add((occ, ESCO.relatedOptionalSkill, skill))
            result.optional += 1
        else:
            raise InvalidDataError(f"relationType {kind!r} is neither essential nor optional",
                                   path=path, line=line)

    occupation_iris: set = set()
    skill_iris: set = set()
    all_skills: set = set()
    group_iris: set = set()  # skill groups: in the hierarchy, never a requirement
    all_groups: set = set()
    if occupations is None:
        for path, line, row in rows("skills"):
            iri = _iri(row["conceptUri"], "conceptUri", path, line)
            build.skill(iri, row, path, line)
            skill_iris.add(iri)
        for path, line, row in rows("groups"):
            iri = _iri(row["conceptUri"], "conceptUri", path, line)
            all_groups.add(iri)
            if iri not in skill_iris and iri not in group_iris:
                build.group(iri, row, path, line)
                group_iris.add(iri)
        for path, line, row in rows("occupations"):
            iri = _iri(row["conceptUri"], "conceptUri", path, line)
            build.occupation(iri, row, path, line)
            occupation_iris.add(iri)
        for path, line, row in rows("relations"):
            occ = _iri(row["occupationUri"], "occupationUri", path, line)
            skill = _iri(row["skillUri"], "skillUri", path, line)
            if occ not in occupation_iris or skill not in skill_iris:
                skipped[path.name] += 1
                continue
            relation(occ, row["relationType"].strip(), skill, path, line)
    else:
        codes, uris = _filters(occupations)
        all_occupations: set = set()
        for path, line, row in rows("occupations"):
            iri = _iri(row["conceptUri"], "conceptUri", path, line)
            all_occupations.add(iri)
            if str(iri) in uris or any(_isco(row).startswith(code) for code in codes):
                build.occupation(iri, row, path, line)
                occupation_iris.add(iri)
            else:
                filtered[path.name] += 1
        for uri in sorted(uris - {str(o) for o in all_occupations}):
            result.warnings.append(f"occupation {uri} is not in {paths['occupations'].name}")
        if not occupation_iris:
            result.warnings.append("no occupation matches --occupations "
                                   + ", ".join(sorted(codes | uris)))
        pending = []
        for path, line, row in rows("relations"):
            occ = _iri(row["occupationUri"], "occupationUri", path, line)
            if occ not in occupation_iris:
                if occ in all_occupations:
                    filtered[path.name] += 1
                else:
                    skipped[path.name] += 1
                continue
            pending.append((occ, row["relationType"].strip(),
                            _iri(row["skillUri"], "skillUri", path, line), line))
        parents: dict = {}
        for path, line, row in rows("broader"):
            child = _iri(row["conceptUri"], "conceptUri", path, line)
            parents.setdefault(child, []).append(_iri(row["broaderUri"], "broaderUri", path, line))
        wanted = {skill for _, _, skill, _ in pending}
        stack = list(wanted)
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in wanted:
                    wanted.add(parent)
                    stack.append(parent)
        for path, line, row in rows("skills"):
            iri = _iri(row["conceptUri"], "conceptUri", path, line)
            all_skills.add(iri)
            if iri in wanted:
                build.skill(iri, row, path, line)
                skill_iris.add(iri)
            else:
                filtered[path.name] += 1
        for path, line, row in rows("groups"):  # the groups above the wanted skills
            iri = _iri(row["conceptUri"], "conceptUri", path, line)
            all_groups.add(iri)
            if iri in wanted and iri not in skill_iris and iri not in group_iris:
                build.group(iri, row, path, line)
                group_iris.add(iri)
            elif iri not in wanted:
                filtered[path.name] += 1
        relations_path = paths["relations"]
        for occ, kind, skill, line in pending:
            if skill not in skill_iris:
                skipped[relations_path.name] += 1
                continue
            relation(occ, kind, skill, relations_path, line)

    all_skills = all_skills if occupations is not None else skill_iris
    concepts, all_concepts = skill_iris | group_iris, all_skills | all_groups
    for path, line, row in rows("broader"):
        child = _iri(row["conceptUri"], "conceptUri", path, line)
        parent = _iri(row["broaderUri"], "broaderUri", path, line)
        if child in concepts and parent in concepts:
            graph.add((child, SKOS.broader, parent))
            result.broader += 1
        elif child in all_concepts and parent in all_concepts:
            filtered[path.name] += 1
        else:
            skipped[path.name] += 1
    for path, line, row in rows("skill_relations"):
        a = _iri(row["originalSkillUri"], "originalSkillUri", path, line)
        b = _iri(row["relatedSkillUri"], "relatedSkillUri", path, line)
        kind = row["relationType"].strip()
        if kind not in ("essential", "optional"):
            raise InvalidDataError(f"relationType {kind!r} is neither essential nor optional",
                                   path=path, line=line)
        if a in skill_iris and b in skill_iris:
            prop = ESCO.relatedEssentialSkill if kind == "essential" else ESCO.relatedOptionalSkill
            graph.add((a, prop, b))
            result.skill_relations += 1
        elif a in all_skills and b in all_skills:
            filtered[path.name] += 1
        else:
            skipped[path.name] += 1
    counter.report()
    result.skipped = {name: n for name, n in skipped.items() if n}
    result.filtered = {name: n for name, n in filtered.items() if n}
    return result
