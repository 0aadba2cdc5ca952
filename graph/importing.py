"""Shared pieces of the importers: records with line numbers, skill matching, IRI minting, atomic writes."""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import math
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace

from rdflib import RDF, RDFS, Graph, Literal, URIRef, XSD
from rdflib.namespace import SKOS

from careergraph.ontology import CG, PREFIXES
from careergraph.ontology.namespace import ID_PREFIXES

from .errors import AmbiguousEntityError, InvalidDataError, UnknownEntityError, UnmatchedNamesError
from .resolve import loose, normalize

__all__ = [
    "ImportResult",
    "prefer_own",
    "Record",
    "Items",
    "Text",
    "read_records",
    "line_of",
    "slug",
    "decimal_literal",
    "number",
    "Minter",
    "SkillMatcher",
    "new_graph",
    "write_atomic",
    "write_graph",
]


@dataclass
class ImportResult:
    """What an importer made: the RDF, the entities it describes and what it created.

    ``graph`` holds only the imported facts (in careergraph's ontology), ready
    to be written to a file and loaded with ``--data``. ``entities`` are the
    people or postings described, ``created_skills`` and ``created_orgs`` the
    skills and organisations that did not exist in the graph before, and
    ``warnings`` what was accepted but deserves a look. ``mentions`` is filled
    by the text importer (see :func:`careergraph.graph.import_text.find_skills`).
    """

    graph: Graph
    entities: list[URIRef] = field(default_factory=list)
    created_skills: list[URIRef] = field(default_factory=list)
    created_orgs: list[URIRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mentions: list = field(default_factory=list)
    #: organisations met in this import, by loose name (resolved or created): one lookup each
    org_names: dict = field(default_factory=dict, repr=False, compare=False)


# -- records that remember their line ------------------------------------------------


class Record(dict):
    """A mapping read from YAML or JSON; ``line`` is where it starts, ``lines[key]`` where a value is."""

    def __init__(self, *args, line=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.lines: dict = {}

    def line_at(self, key) -> int | None:
        value = self.get(key)
        return self.lines.get(key) or getattr(value, "line", None) or self.line


class Items(list):
    """A list read from YAML or JSON; ``line`` is where it starts, ``lines[i]`` where item i is."""

    def __init__(self, *args, line=None):
        super().__init__(*args)
        self.line = line
        self.lines: list = []

    def line_at(self, index: int) -> int | None:
        if index < len(self.lines) and self.lines[index]:
            return self.lines[index]
        return getattr(self[index], "line", None) or self.line


class Text(str):
    """A string read from a file, with the ``line`` it is on."""

    def __new__(cls, value, line=None):
        obj = super().__new__(cls, value)
        obj.line = line
        return obj


def line_of(value, default=None) -> int | None:
    """The line a value read by :func:`read_records` came from, or ``default``."""
    return getattr(value, "line", None) or default


_YAML_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _yaml_records(text: str, path: Path):
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(err, "problem", None) or str(err)
            raise InvalidDataError(f"malformed YAML: {' '.join(str(problem).split())}",
                                   path=path, line=line) from err
        if node is None:
            return None
        memo: dict[int, object] = {}

        def convert(n):
            if id(n) in memo:  # aliases share one value: no exponential expansion
                return memo[id(n)]
            line = n.start_mark.line + 1
            if not isinstance(n, yaml.ScalarNode) and n.tag not in _YAML_TAGS:
                raise InvalidDataError(f"unsupported YAML tag {n.tag!r}", path=path, line=line)
            if isinstance(n, yaml.MappingNode):
                loader.flatten_mapping(n)
                rec = Record(line=line)
                memo[id(n)] = rec
                for key_node, value_node in n.value:
                    key = loader.construct_object(key_node, deep=True)
                    if not isinstance(key, (str, int, float, bool)) or key is None:
                        raise InvalidDataError("mapping keys must be plain words",
                                               path=path, line=key_node.start_mark.line + 1)
                    key = str(key)
                    if key in rec:
                        raise InvalidDataError(
                            f"duplicate key {key!r} (first on line {rec.lines[key]})",
                            path=path, line=key_node.start_mark.line + 1)
                    rec.lines[key] = value_node.start_mark.line + 1
                    rec[key] = convert(value_node)
                return rec
            if isinstance(n, yaml.SequenceNode):
                items = Items(line=line)
                memo[id(n)] = items
                for item in n.value:
                    items.lines.append(item.start_mark.line + 1)
                    items.append(convert(item))
                return items
            try:
                value = loader.construct_object(n, deep=True)
            except yaml.YAMLError as err:
                raise InvalidDataError(f"malformed YAML value: {getattr(err, 'problem', err)}",
                                       path=path, line=line) from err
            if isinstance(value, str):
                value = Text(value, line)
            memo[id(n)] = value
            return value

        return convert(node)
    finally:
        loader.dispose()


def _json_records(text: str, path: Path):
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        start = s_and_end[1] - 1

        def pairs_hook(pairs):
            rec = Record(line=line(start))
            for key, value in pairs:
                if key in rec:
                    raise InvalidDataError(f"duplicate key {key!r}", path=path, line=line(start))
                rec[key] = value
            return rec

        return json.decoder.JSONObject(s_and_end, strict, scan_once, None, pairs_hook, memo)

    def parse_array(s_and_end, scan_once):
        start = s_and_end[1] - 1
        values, end = json.decoder.JSONArray(s_and_end, scan_once)
        items = Items(values, line=line(start))
        items.lines = [getattr(v, "line", None) for v in values]
        return items, end

    def parse_string(s, end, strict):
        value, new_end = json.decoder.scanstring(s, end, strict)
        return Text(value, line(end - 1)), new_end

    def parse_constant(name):
        raise json.JSONDecodeError(f"{name} is not a JSON number", text, 0)

    context = SimpleNamespace(
        parse_object=parse_object, parse_array=parse_array, parse_string=parse_string,
        strict=True, object_hook=None, object_pairs_hook=None, parse_float=float,
        parse_int=int, parse_constant=parse_constant, memo={},
    )
    scan = json.scanner.py_make_scanner(context)
    ws = json.decoder.WHITESPACE
    try:
        idx = ws.match(text, 0).end()
        try:
            value, end = scan(text, idx)
        except StopIteration as err:
            raise json.JSONDecodeError("Expecting value", text, err.value) from None
        end = ws.match(text, end).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    except json.JSONDecodeError as err:
        raise InvalidDataError(f"malformed JSON: {err.msg}", path=path, line=err.lineno) from err
    except RecursionError as err:
        raise InvalidDataError("JSON nested too deeply", path=path) from err
    return value


def read_records(path) -> object:
    """Parse a YAML (``.yaml``/``.yml``) or JSON (``.json``) file into values that know their line.

    Mappings become :class:`Record`, lists :class:`Items`, strings :class:`Text`;
    duplicate keys are an error (YAML and JSON parsers usually keep the last one).

    Raises
    ------
    InvalidDataError
        The file is missing, not UTF-8, of another type, or malformed (with its line).
    """
    path = Path(path)
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _yaml_records(text, path)
    if suffix == ".json":
        return _json_records(text, path)
    raise InvalidDataError(f"unknown file extension {path.suffix or '(none)'!r}; "
                           "use .yaml, .yml or .json", path=path)


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark is dropped), or an InvalidDataError."""
    if not path.exists():
        raise InvalidDataError("no such file", path=path)
    if path.is_dir():
        raise InvalidDataError("is a directory, not a data file", path=path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InvalidDataError(f"cannot read: {err.strerror}", path=path) from err
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InvalidDataError(f"not UTF-8 text ({err.reason})", path=path, line=line) from err


# -- values -----------------------------------------------------------------------------

_SYMBOLS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}


def slug(text: str) -> str:
    """An identifier for ``text``: lower case, accents dropped, words joined by ``-``.

    Examples
    --------
    >>> slug("Senior Flutter Developer @ Zoë's")
    'senior-flutter-developer-at-zoe-s'
    >>> slug("C++"), slug("C#")
    ('c-plus-plus', 'c-sharp')
    """
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = "".join(_SYMBOLS.get(ch, ch) for ch in text)
    return re.sub(r"[\W_]+", "-", text.casefold()).strip("-")


_ID = re.compile(r"^[\w][\w.-]*$")


def decimal_literal(value: Decimal) -> Literal:
    """An ``xsd:decimal`` literal in canonical form (``40.0``, ``2.5``), stable across formats."""
    value = value.normalize()
    if value == value.to_integral_value():
        lexical = f"{value.quantize(Decimal(1)):f}.0"
    else:
        lexical = f"{value:f}"
    return Literal(lexical, datatype=XSD.decimal)


def number(value, what: str, *, path=None, line=None, positive=False) -> Decimal:
    """``value`` (a number or a numeric string) as a Decimal, or a one-line InvalidDataError."""
    if isinstance(value, bool) or value is None or isinstance(value, (Record, Items)):
        raise InvalidDataError(f"{what} must be a number, not {_shown(value)}", path=path, line=line)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidDataError(f"{what} must be a number, not {_shown(value)}", path=path, line=line) from None
    if not result.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidDataError(f"{what} must be a finite number, not {_shown(value)}", path=path, line=line)
    if positive and result <= 0:
        raise InvalidDataError(f"{what} must be greater than 0, not {_shown(value)}", path=path, line=line)
    if result < 0:
        raise InvalidDataError(f"{what} must not be negative, not {_shown(value)}", path=path, line=line)
    return result


def _shown(value) -> str:
    if isinstance(value, Record):
        return "a mapping"
    if isinstance(value, Items):
        return "a list"
    if value is None:
        return "nothing"
    return repr(str(value) if isinstance(value, str) else value)


def text_value(value, what: str, *, path=None, line=None, required=True) -> str | None:
    """A non-empty one-line string (whitespace collapsed), or an InvalidDataError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidDataError(f"{what} is missing or empty", path=path, line=line)
        return None
    if isinstance(value, (Record, Items)) or isinstance(value, bool):
        raise InvalidDataError(f"{what} must be text, not {_shown(value)}", path=path, line=line)
    return " ".join(str(value).split())


def check_fields(record, known, what: str, path) -> None:
    """Refuse a record that is not a mapping or has fields outside ``known`` (typos)."""
    if not isinstance(record, Record):
        raise InvalidDataError(f"{what} must be a mapping of fields, not {_shown(record)}",
                               path=path, line=line_of(record))
    for key in record:
        if key not in known:
            raise InvalidDataError(f"unknown field {key!r} in {what}; known fields: {', '.join(known)}",
                                   path=path, line=record.lines.get(key) or record.line)


def check_id(value, what: str, *, path=None, line=None) -> str:
    """A user-given identifier: letters, digits, ``-``, ``_`` and ``.``."""
    text = text_value(value, what, path=path, line=line)
    if not _ID.match(text):
        raise InvalidDataError(f"{what} {text!r} may only hold letters, digits, '-', '_' and '.'",
                               path=path, line=line)
    return text


def http_url(value, what: str, *, path=None, line=None) -> URIRef:
    """A web address as an IRI; anything else is an InvalidDataError."""
    text = text_value(value, what, path=path, line=line)
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", text):
        raise InvalidDataError(f"{what} {text!r} is not a web address (http:// or https://)",
                               path=path, line=line)
    return URIRef(text)


# -- IRIs -------------------------------------------------------------------------------


def new_graph() -> Graph:
    """An empty graph with careergraph's prefixes bound."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


_KIND_OF_PREFIX = {"person": "person", "posting": "posting", "org": "organization", "skill": "skill"}


class Minter:
    """Mints IRIs under our prefixes and refuses clashes with other entities.

    An IRI that already names an entity of the same kind with the same label
    is that entity (a re-import); any other existing IRI is a clash.
    """

    def __init__(self, kg, path=None):
        self.kg = kg
        self.path = path
        self.minted: dict[URIRef, tuple[str, int | None]] = {}

    def mint(self, prefix: str, local: str, label: str, *, what: str, line=None) -> URIRef:
        if not local:
            raise InvalidDataError(f"cannot make an identifier for {what} {label!r}; give it an id",
                                   path=self.path, line=line)
        iri = ID_PREFIXES[prefix][local]
        if iri in self.minted:
            other_label, other_line = self.minted[iri]
            where = f" (line {other_line})" if other_line else ""
            raise InvalidDataError(
                f"duplicate identifier {self.kg.curie(iri)}: {label!r} and {other_label!r}{where}; "
                "give one of them another id", path=self.path, line=line)
        self.minted[iri] = (label, line)
        kind = self.kg.kind_of(iri)
        existing = {loose(str(o)) for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
                    for o in self.kg.graph.objects(iri, p)}
        known = kind is not None or (iri, None, None) in self.kg.graph
        if known and (kind != _KIND_OF_PREFIX[prefix] or loose(label) not in existing):
            shown = self.kg.label(iri)
            raise InvalidDataError(
                f"{what} {label!r} would get the identifier {self.kg.curie(iri)}, which already names "
                f"{kind or 'another entity'} {shown!r}; give it another id", path=self.path, line=line)
        return iri


_SAME = (SKOS.closeMatch, SKOS.exactMatch)


def prefer_own(kg, skills: list) -> list:
    """Of several skills sharing a name, careergraph's own one when the others are linked to it.

    A skill of ours linked by ``skos:closeMatch``/``skos:exactMatch`` to
    every other candidate (such as an ESCO skill, after ``link esco``) is
    taken as the one meant; otherwise all candidates are returned.

    Examples
    --------
    >>> from careergraph.graph import load
    >>> kg = load()
    >>> prefer_own(kg, [kg.resolve("skill:dart"), kg.resolve("skill:flutter")]) == [
    ...     kg.resolve("skill:dart"), kg.resolve("skill:flutter")]
    True
    """
    from careergraph.ontology import BASE

    ours = [s for s in skills if str(s).startswith(BASE)]
    if len(ours) != 1:
        return list(skills)
    (own,) = ours
    graph = kg.graph
    for other in skills:
        if other != own and not any((own, p, other) in graph or (other, p, own) in graph for p in _SAME):
            return list(skills)
    return [own]


_SIG = re.compile(r"[^\w+#]+")


def _signature(text: str) -> str:
    """Like :func:`loose`, but '+' and '#' count: 'C++', 'C#' and 'C' stay apart."""
    return _SIG.sub("", normalize(text)).replace("_", "")


class SkillMatcher:
    """Match skill names to the graph's skills; collect the unmatched or create them.

    Names match ``skos:prefLabel``/``skos:altLabel`` (and IRIs, CURIEs)
    insensitive to case, spacing and punctuation, through
    :meth:`KnowledgeGraph.resolve`. A match that only holds once '+' and '#'
    are ignored (``C#`` against ``C++``) is not taken.
    """

    def __init__(self, kg, graph: Graph, minter: Minter, *, create_missing=False, path=None):
        self.kg = kg
        self.graph = graph
        self.minter = minter
        self.create_missing = create_missing
        self.path = path
        self.created: dict[str, URIRef] = {}
        self.unmatched: list[tuple[str, int | None, list[str]]] = []
        self._labels: dict[URIRef, set[str]] = {}
        self._found: dict[str, URIRef] = {}  # names matched to a skill the graph has

    def _labels_of(self, iri) -> set[str]:
        if iri not in self._labels:
            self._labels[iri] = {_signature(str(o)) for p in (SKOS.prefLabel, SKOS.altLabel,
                                                               SKOS.hiddenLabel, RDFS.label)
                                 for o in self.kg.objects(iri, p)}  # on a workspace: from Oxigraph
            local = re.split(r"[/#]", str(iri).rstrip("/#"))[-1]
            self._labels[iri].add(_signature(local))
        return self._labels[iri]

    def match(self, name: str, *, line=None, hours: Decimal | None = None) -> URIRef | None:
        """The skill ``name`` names, a new skill (``create_missing``), or None (recorded as unmatched)."""
        key = _signature(name)
        if key in self.created:
            return self.created[key]
        if name in self._found:  # the same spelling met before in this import
            return self._found[name]
        suggestions: list[str] = []
        try:
            iri = self.kg.resolve(name, kind="skill")
        except UnknownEntityError as err:
            suggestions = err.suggestions
        except AmbiguousEntityError as err:
            chosen = prefer_own(self.kg, [self.kg.resolve(c) for c, _ in err.candidates])
            if len(chosen) == 1:
                return chosen[0]
            raise InvalidDataError(
                f"skill {name!r} is ambiguous: it names "
                + ", ".join(f"{c} ({lab})" for c, lab in err.candidates) + "; use one of these "
                "identifiers (or link careergraph's skill to the others with `careergraph link esco`)",
                path=self.path, line=line) from err
        else:
            literal_name = not re.match(r"^[A-Za-z][\w.-]*:", name.strip())
            if not literal_name or key in self._labels_of(iri):
                self._found[name] = iri
                return iri
            suggestions = [f"{self.kg.label(iri)} ({self.kg.curie(iri)})"]
        if not self.create_missing:
            self.unmatched.append((name, line, suggestions))
            return None
        iri = self.minter.mint("skill", slug(name), name, what="new skill", line=line)
        self.graph.add((iri, RDF.type, CG.Skill))
        self.graph.add((iri, SKOS.prefLabel, Literal(name)))
        if hours is not None:
            self.graph.add((iri, CG.effortHours, decimal_literal(hours)))
        self.created[key] = iri
        return iri

    def check(self) -> None:
        """Raise one UnmatchedNamesError listing every unmatched name, if any."""
        if not self.unmatched:
            return
        parts = []
        for name, line, suggestions in self.unmatched:
            where = f"line {line}: " if line else ""
            hint = f" (did you mean: {', '.join(suggestions)}?)" if suggestions else ""
            parts.append(f"{where}{name!r}{hint}")
        count = len(self.unmatched)
        raise UnmatchedNamesError(
            f"{count} unknown skill{'s' if count > 1 else ''}: " + "; ".join(parts)
            + ". Fix the names, or add them as new skills (--create-missing; in Python, create_missing=True)",
            unmatched=self.unmatched, path=self.path)


def resolve_level(kg, value, *, path=None, line=None) -> URIRef:
    """The seniority level ``value`` names; unknown ones list the known levels from the data."""
    name = text_value(value, "seniority", path=path, line=line)
    try:
        return kg.resolve(name, kind="level")
    except (UnknownEntityError, AmbiguousEntityError) as err:
        levels = sorted(kg.entities("level"),
                        key=lambda lv: (int(kg.graph.value(lv, CG.levelRank) or 0), kg.label(lv)))
        known = ", ".join(kg.label(lv) for lv in levels) or "(none in the data)"
        raise InvalidDataError(f"unknown seniority level {name!r}; known levels: {known}",
                               path=path, line=line) from err


def resolve_org(kg, graph: Graph, minter: Minter, value, result: ImportResult, *, path=None, line=None):
    """The organisation ``value`` names, or a new one added to ``graph``."""
    name = text_value(value, "company", path=path, line=line)
    key = loose(name)
    if key in result.org_names:  # met earlier in this import: no second lookup
        return result.org_names[key]
    try:
        iri = kg.resolve(name, kind="organization")
    except AmbiguousEntityError as err:
        raise InvalidDataError(str(err), path=path, line=line) from err
    except UnknownEntityError:
        iri = minter.mint("org", slug(name), name, what="organisation", line=line)
        graph.add((iri, RDF.type, CG.Organization))
        graph.add((iri, RDFS.label, Literal(name)))
        result.created_orgs.append(iri)
    result.org_names[key] = iri
    return iri


# -- writing ------------------------------------------------------------------------------


def ordinary_file(path) -> None:
    """Give a file from ``tempfile.mkstemp`` (private, 0600) the mode an ordinary new file gets
    (0666 less the umask): it becomes the user's output."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_atomic(path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` completely or not at all (temp file + ``os.replace``)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidDataError("the folder to write into does not exist", path=path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        ordinary_file(tmp)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def serialize(graph: Graph, fmt: str, *, header: str | None = None) -> str:
    """``graph`` as text in rdflib format ``fmt``, with an optional ``#`` comment header."""
    if fmt == "json-ld":
        context = {p: str(ns) for p, ns in PREFIXES.items()}
        text = graph.serialize(format="json-ld", context=context, indent=2)
    else:
        text = graph.serialize(format=fmt)
    if header and fmt in ("turtle", "nt", "trig", "n3", "nquads"):
        comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        text = comment + "\n" + text
    return text


def write_graph(graph: Graph, path, *, fmt: str | None = None, header: str | None = None) -> None:
    """Serialize ``graph`` to ``path`` atomically; the format follows the extension.

    Raises
    ------
    InvalidDataError
        Unknown extension, or the folder does not exist.
    """
    from .store import guess_format

    path = Path(path)
    fmt = fmt or guess_format(path)
    write_atomic(path, serialize(graph, fmt, header=header))
