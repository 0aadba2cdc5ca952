"""Import job postings (title, company, seniority, link, skills) from CSV, YAML or JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import RDF, RDFS, Literal, URIRef

from careergraph.ontology import CG, SCHEMA

from .errors import InvalidDataError
from .importing import (
    ImportResult,
    Items,
    Minter,
    Record,
    SkillMatcher,
    Text,
    check_fields,
    check_id,
    http_url,
    line_of,
    new_graph,
    number,
    read_records,
    read_text,
    resolve_level,
    resolve_org,
    slug,
    text_value,
)

__all__ = ["import_postings", "add_posting", "POSTING_FIELDS"]

#: The fields (CSV columns, YAML/JSON keys) of a posting.
POSTING_FIELDS = ("id", "title", "company", "seniority", "url", "skills", "preferred")
_REQUIRED_COLUMNS = ("title", "skills")


def add_posting(kg, graph, minter: Minter, matcher: SkillMatcher, result: ImportResult, *,
                title: str, required: list, preferred=(), company=None, seniority=None, url=None,
                id=None, path=None, lines=None) -> URIRef:
    """Describe one posting in ``graph``; the building block of every posting importer.

    ``required`` and ``preferred`` are lists of ``(name, line, hours)``; names
    go through ``matcher``. ``lines`` maps field names to the line they are on.
    Returns the posting's IRI (``posting:<id>``, by default from company and title).
    """
    lines = lines or {}
    line = lines.get("record")
    title = text_value(title, "title", path=path, line=lines.get("title", line))
    org = None
    if company is not None and str(company).strip():
        org = resolve_org(kg, graph, minter, company, result, path=path, line=lines.get("company", line))
    if id is not None and str(id).strip():
        local = check_id(id, "id", path=path, line=lines.get("id", line))
    else:
        local = slug(f"{company} {title}" if org is not None else title)
    company_label = " ".join(str(company).split()) if org is not None else None
    label = f"{title} at {company_label}" if company_label else title
    posting = minter.mint("posting", local, label, what="posting", line=line)
    graph.add((posting, RDF.type, CG.JobPosting))
    graph.add((posting, RDFS.label, Literal(label)))
    graph.add((posting, SCHEMA.title, Literal(title)))
    if org is not None:
        graph.add((posting, SCHEMA.hiringOrganization, org))
    if seniority is not None and str(seniority).strip():
        graph.add((posting, CG.seniority,
                   resolve_level(kg, seniority, path=path, line=lines.get("seniority", line))))
    if url is not None and str(url).strip():
        graph.add((posting, SCHEMA.url, http_url(url, "url", path=path, line=lines.get("url", line))))
    if not required:
        raise InvalidDataError(f"posting {title!r} has no skills; list at least one required skill",
                               path=path, line=lines.get("skills", line))
    seen: dict = {}
    for prop, entries, field in ((CG.requiresSkill, required, "skills"),
                                 (CG.prefersSkill, preferred, "preferred")):
        for name, skill_line, hours in entries:
            iri = matcher.match(name, line=skill_line, hours=hours)
            if iri is None:
                continue
            if iri in seen:
                first_field, first_line = seen[iri]
                where = f" (first in {first_field}, line {first_line})" if first_line else f" (first in {first_field})"
                raise InvalidDataError(f"skill {name!r} is listed twice in posting {title!r}{where}",
                                       path=path, line=skill_line)
            seen[iri] = (field, skill_line)
            graph.add((posting, prop, iri))
    result.entities.append(posting)
    return posting


# -- CSV ------------------------------------------------------------------------------


def _split(cell: str, line: int) -> list:
    return [(name.strip(), line, None) for name in cell.split(";") if name.strip()]


def _csv_rows(path: Path):
    """Yield (line, {column: value}) for each non-blank row, by header name."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidDataError("the file is empty: expected a header row", path=path, line=1)
        columns = [h.strip().lower() for h in header]
        duplicates = sorted({c for c in columns if c and columns.count(c) > 1})
        if duplicates:
            raise InvalidDataError(f"duplicate column {duplicates[0]!r}", path=path, line=1)
        missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise InvalidDataError(
                f"missing column {missing[0]!r}; the header needs {', '.join(_REQUIRED_COLUMNS)} and may "
                f"have {', '.join(c for c in POSTING_FIELDS if c not in _REQUIRED_COLUMNS)}",
                path=path, line=1)
        yield 0, columns
        previous = reader.line_num
        for row in reader:
            line = previous + 1
            previous = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                raise InvalidDataError(f"row has {len(row)} fields but the header has {len(columns)} "
                                       "(a ';' or ',' inside a cell needs quotes)", path=path, line=line)
            yield line, {c: row[i] if i < len(row) else "" for i, c in enumerate(columns) if c}
    except csv.Error as err:
        raise InvalidDataError(f"malformed CSV: {err}", path=path, line=reader.line_num) from err


def _from_csv(kg, path, graph, minter, matcher, result) -> None:
    rows = _csv_rows(path)
    _, columns = next(rows)
    unknown = [c for c in columns if c and c not in POSTING_FIELDS]
    if unknown:
        result.warnings.append(f"{path}: ignored column(s) {', '.join(unknown)}; careergraph reads "
                               f"{', '.join(POSTING_FIELDS)}")
    count = 0
    for line, row in rows:
        count += 1
        add_posting(kg, graph, minter, matcher, result, title=row.get("title"),
                    required=_split(row.get("skills", ""), line),
                    preferred=_split(row.get("preferred", ""), line),
                    company=row.get("company"), seniority=row.get("seniority"), url=row.get("url"),
                    id=row.get("id"), path=path, lines={"record": line})
    if not count:
        raise InvalidDataError("no postings: the file has a header and no rows", path=path, line=1)


# -- YAML / JSON ------------------------------------------------------------------------


def _skill_entries(record: Record, key: str, path: Path) -> list:
    if key not in record:
        return []
    value, line = record[key], record.line_at(key)
    if isinstance(value, str):
        return _split(value, line_of(value, line))
    if not isinstance(value, Items):
        raise InvalidDataError(f"{key} must be a list of skill names (or one ';'-separated string)",
                               path=path, line=line)
    out = []
    for index, item in enumerate(value):
        item_line = value.line_at(index)
        hours = None
        if isinstance(item, Record):
            check_fields(item, ("name", "hours"), f"an entry of {key}", path)
            name = text_value(item.get("name"), f"skill name in {key}", path=path, line=item_line)
            if "hours" in item:
                hours = number(item["hours"], f"hours of skill {name!r}", path=path,
                               line=item.line_at("hours"), positive=True)
        else:
            name = text_value(item, f"skill name in {key}", path=path, line=item_line)
        out.append((name, item_line, hours))
    return out


def _from_records(kg, path, graph, minter, matcher, result) -> None:
    data = read_records(path)
    if isinstance(data, Record) and "postings" in data:
        extra = sorted(set(data) - {"postings"})
        if extra:
            raise InvalidDataError(f"unknown field {extra[0]!r} beside 'postings'", path=path,
                                   line=data.lines.get(extra[0]))
        data = data["postings"]
    if isinstance(data, Record):
        data = [data]
    if not isinstance(data, (Items, list)) or not data:
        raise InvalidDataError("expected a list of postings (or 'postings:' with a list)",
                               path=path, line=line_of(data))
    for record in data:
        check_fields(record, POSTING_FIELDS, "a posting", path)
        if "skills" in record and isinstance(record["skills"], Items) and not record["skills"]:
            raise InvalidDataError("the skills list is empty; list at least one required skill",
                                   path=path, line=record.line_at("skills"))
        lines = {key: record.line_at(key) for key in record}
        lines["record"] = record.line

        def scalar(key):
            value = record.get(key)
            if isinstance(value, (Record, Items)):
                raise InvalidDataError(f"{key} must be a single value", path=path, line=lines.get(key))
            return value if value is None or isinstance(value, Text) else Text(str(value))

        add_posting(kg, graph, minter, matcher, result, title=scalar("title"),
                    required=_skill_entries(record, "skills", path),
                    preferred=_skill_entries(record, "preferred", path),
                    company=scalar("company"), seniority=scalar("seniority"), url=scalar("url"),
                    id=scalar("id"), path=path, lines=lines)


def import_postings(kg, path, *, create_missing: bool = False) -> ImportResult:
    """Read job postings from a CSV, YAML or JSON file into careergraph's ontology.

    CSV: a header row naming the columns (any order, case-insensitive)
    ``title`` and ``skills`` (required), ``company``, ``seniority``, ``url``,
    ``id`` and ``preferred``; skills are separated by ``;``. YAML/JSON: a
    list of mappings with the same fields (skills as a list, or a
    ``{name, hours}`` mapping per skill), optionally under ``postings:``.

    Each posting becomes ``posting:<id>`` (by default from company and title)
    with ``schema:title``, ``schema:hiringOrganization`` (an existing
    organisation by name, or a new ``org:<slug>``), ``cg:seniority`` (one of
    the levels in the graph), ``schema:url``, ``cg:requiresSkill`` for
    ``skills`` and ``cg:prefersSkill`` for ``preferred``.

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph skill, organisation and level names are matched against.
    path : str or Path
        A ``.csv``, ``.yaml``, ``.yml`` or ``.json`` file.
    create_missing : bool
        Create unknown skills as ``skill:<slug>`` instead of rejecting them.

    Returns
    -------
    ImportResult
        ``entities`` are the postings, in file order.

    Raises
    ------
    UnmatchedNamesError
        Unknown skills (without ``create_missing``), all listed in one error.
    InvalidDataError
        Malformed CSV/YAML/JSON, a duplicate posting id, a posting without
        skills, an unknown seniority (the message lists the known ones), a
        link that is not a web address: one line naming the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from careergraph.graph import load
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "jobs.csv").write_text("title,company,seniority,skills\\n"
    ...                                      "Flutter Developer,Acme,Senior,Dart;Flutter\\n")
    >>> result = import_postings(load(), folder / "jobs.csv")
    >>> [str(p).rsplit("/", 1)[1] for p in result.entities]
    ['acme-flutter-developer']
    """
    path = Path(path)
    graph = new_graph()
    result = ImportResult(graph)
    minter = Minter(kg, path)
    matcher = SkillMatcher(kg, graph, minter, create_missing=create_missing, path=path)
    if path.suffix.lower() == ".csv":
        _from_csv(kg, path, graph, minter, matcher, result)
    else:
        _from_records(kg, path, graph, minter, matcher, result)
    matcher.check()
    result.created_skills = list(matcher.created.values())
    return result
