"""Import people's profiles (name, skills with levels, target role) from YAML or JSON."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, RDFS, BNode, Literal

from careergraph.ontology import CG

from .errors import AmbiguousEntityError, InvalidDataError, UnknownEntityError
from .importing import (
    ImportResult,
    Items,
    Minter,
    Record,
    SkillMatcher,
    check_fields,
    check_id,
    decimal_literal,
    line_of,
    new_graph,
    number,
    read_records,
    resolve_level,
    resolve_org,
    slug,
    text_value,
)

__all__ = ["import_profile", "PROFILE_FIELDS", "SKILL_FIELDS"]

#: The fields a profile may have.
PROFILE_FIELDS = ("id", "name", "skills", "lacks", "focus", "target", "years", "previous_employers")
#: The fields of a skill given as a mapping instead of a plain name.
SKILL_FIELDS = ("name", "level", "hours")
_TARGET_FIELDS = ("role", "seniority")


def _profiles(data, path: Path) -> list:
    if data is None:
        raise InvalidDataError("the file is empty: expected a profile", path=path)
    if isinstance(data, Record) and "profiles" in data:
        if set(data) != {"profiles"}:
            extra = sorted(set(data) - {"profiles"})[0]
            raise InvalidDataError(f"unknown field {extra!r} beside 'profiles'", path=path,
                                   line=data.lines.get(extra))
        data = data["profiles"]
        if not isinstance(data, Items):
            raise InvalidDataError("'profiles' must be a list of profiles", path=path, line=line_of(data))
    if isinstance(data, Record):
        return [data]
    if isinstance(data, Items):
        if not data:
            raise InvalidDataError("no profiles in the file", path=path, line=data.line)
        return list(data)
    raise InvalidDataError("expected a profile (a mapping with a name and skills) or a list of profiles",
                           path=path, line=line_of(data))


def _skill_list(record: Record, key: str, matcher: SkillMatcher, path: Path, *, required: bool,
                levels: bool):
    """Yield (skill IRI or None, level, line) for each entry of ``record[key]``."""
    if key not in record:
        if required:
            raise InvalidDataError(f"profile has no {key} (a list of skill names)", path=path,
                                   line=record.line)
        return []
    items = record[key]
    line = record.line_at(key)
    if not isinstance(items, Items):
        raise InvalidDataError(f"{key} must be a list of skill names", path=path, line=line)
    if not items and required:
        raise InvalidDataError(f"the {key} list is empty; list at least one skill", path=path, line=line)
    out, seen = [], {}
    for index, item in enumerate(items):
        item_line = items.line_at(index)
        level = hours = None
        if isinstance(item, Record):
            check_fields(item, SKILL_FIELDS if levels else ("name", "hours"), f"an entry of {key}", path)
            name = text_value(item.get("name"), f"skill name in {key}", path=path, line=item_line)
            if "level" in item:
                level = number(item["level"], f"level of skill {name!r}", path=path,
                               line=item.line_at("level"))
            if "hours" in item:
                hours = number(item["hours"], f"hours of skill {name!r}", path=path,
                               line=item.line_at("hours"), positive=True)
        else:
            name = text_value(item, f"skill name in {key}", path=path, line=item_line)
        iri = matcher.match(name, line=item_line, hours=hours)
        if iri is not None:
            if iri in seen:
                raise InvalidDataError(f"skill {name!r} is listed twice in {key} (first on line {seen[iri]})",
                                       path=path, line=item_line)
            seen[iri] = item_line
        out.append((iri, level, item_line))
    return out


def _target(kg, graph, person, value, path: Path, line) -> None:
    if isinstance(value, Record):
        check_fields(value, _TARGET_FIELDS, "target", path)
        role, seniority = value.get("role"), value.get("seniority")
        role_line, level_line = value.line_at("role"), value.line_at("seniority")
    else:
        role, seniority, role_line, level_line = value, None, line, line
    if role is not None:
        name = text_value(role, "target role", path=path, line=role_line)
        try:
            iri = kg.resolve(name, kind="role")
        except UnknownEntityError as err:
            hint = ""
            try:
                posting = kg.resolve(name, kind="posting")
            except (UnknownEntityError, AmbiguousEntityError):
                posting = None
            if posting is not None:
                hint = (f"; {kg.curie(posting)} is a job posting: a profile targets a role, and "
                        "commands take a posting as their target directly")
            elif err.suggestions:
                hint = f"; did you mean: {', '.join(err.suggestions)}?"
            raise InvalidDataError(f"unknown target role {name!r}{hint}", path=path, line=role_line) from err
        except AmbiguousEntityError as err:
            raise InvalidDataError(str(err), path=path, line=role_line) from err
        graph.add((person, CG.targetsRole, iri))
    if seniority is not None:
        graph.add((person, CG.targetSeniority, resolve_level(kg, seniority, path=path, line=level_line)))


def import_profile(kg, path, *, create_missing: bool = False) -> ImportResult:
    """Read one or more profiles from a YAML or JSON file into careergraph's ontology.

    A profile is a mapping::

        name: Ada Lovelace           # required; the person's rdfs:label
        id: ada                      # optional; the IRI becomes person:ada (default: from the name)
        skills:                      # required, at least one: cg:hasSkill
          - Dart
          - {name: Flutter, level: 4}    # a level (a number) is kept on a reified statement
        lacks: [Kotlin]              # optional: cg:lacksSkill
        focus: [Riverpod]            # optional: cg:focusArea
        target: {role: Flutter Developer, seniority: Senior}   # or just a role name
        years: 3                     # optional: cg:yearsOfExperience
        previous_employers: [Red]    # optional: cg:previousEmployer

    A file may also hold a list of profiles, or ``profiles:`` with a list.

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph skill, role and level names are matched against.
    path : str or Path
        A ``.yaml``, ``.yml`` or ``.json`` file.
    create_missing : bool
        Create skills the graph does not know (``skill:<slug>``) instead of
        rejecting them. An entry ``{name: X, hours: 20}`` gives a new skill its
        ``cg:effortHours``.

    Returns
    -------
    ImportResult
        ``graph`` holds only the imported facts; ``entities`` the people.

    Raises
    ------
    UnmatchedNamesError
        Skills the graph does not know (without ``create_missing``): all of
        them in one error, each with its line and the closest labels.
    InvalidDataError
        Malformed YAML/JSON, a missing name, an empty skill list, a duplicate
        identifier or skill, a non-numeric level, an unknown role or
        seniority: one line naming the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from careergraph.graph import load
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "me.yaml").write_text("name: Ada\\nskills: [Dart, {name: Flutter, level: 3}]\\n")
    >>> result = import_profile(load(), folder / "me.yaml")
    >>> [str(p) for p in result.entities]
    ['https://w3id.org/careergraph/person/ada']
    """
    path = Path(path)
    records = _profiles(read_records(path), path)
    graph = new_graph()
    result = ImportResult(graph)
    minter = Minter(kg, path)
    matcher = SkillMatcher(kg, graph, minter, create_missing=create_missing, path=path)
    for record in records:
        check_fields(record, PROFILE_FIELDS, "a profile", path)
        name = text_value(record.get("name"), "profile name", path=path, line=record.line_at("name"))
        if "id" in record:
            local = check_id(record["id"], "id", path=path, line=record.line_at("id"))
        else:
            local = slug(name)
        person = minter.mint("person", local, name, what="person", line=record.line)
        graph.add((person, RDF.type, CG.Person))
        graph.add((person, RDFS.label, Literal(name)))
        result.entities.append(person)

        has = _skill_list(record, "skills", matcher, path, required=True, levels=True)
        lacks = _skill_list(record, "lacks", matcher, path, required=False, levels=False)
        focus = _skill_list(record, "focus", matcher, path, required=False, levels=False)
        held = {iri: line for iri, _, line in has if iri is not None}
        for iri, level, _ in has:
            if iri is None:
                continue
            graph.add((person, CG.hasSkill, iri))
            if level is not None:  # a reified statement carries the level
                statement = BNode()
                graph.add((statement, RDF.type, RDF.Statement))
                graph.add((statement, RDF.subject, person))
                graph.add((statement, RDF.predicate, CG.hasSkill))
                graph.add((statement, RDF.object, iri))
                graph.add((statement, RDF.value, decimal_literal(level)))
        for iri, _, line in lacks:
            if iri is None:
                continue
            if iri in held:
                raise InvalidDataError(f"{kg.curie(iri)} is both in skills (line {held[iri]}) and in lacks",
                                       path=path, line=line)
            graph.add((person, CG.lacksSkill, iri))
        for iri, _, _ in focus:
            if iri is not None:
                graph.add((person, CG.focusArea, iri))

        if "target" in record:
            _target(kg, graph, person, record["target"], path, record.line_at("target"))
        if "years" in record:
            years = number(record["years"], "years", path=path, line=record.line_at("years"))
            graph.add((person, CG.yearsOfExperience, decimal_literal(years)))
        if "previous_employers" in record:
            employers = record["previous_employers"]
            if not isinstance(employers, Items):
                raise InvalidDataError("previous_employers must be a list of organisation names",
                                       path=path, line=record.line_at("previous_employers"))
            for index, value in enumerate(employers):
                org = resolve_org(kg, graph, minter, value, result, path=path, line=employers.line_at(index))
                graph.add((person, CG.previousEmployer, org))
    matcher.check()
    result.created_skills = list(matcher.created.values())
    return result
