"""careergraph's named SPARQL queries: one ``.rq`` file each, described by its header comment.

Every file starts with a block of ``#`` comment lines::

    # title: Roles staffing a component
    # description: The roles that work on one component ...
    #   (continuation lines are indented by two or more spaces)
    # param: component (component, required): the component, by IRI, CURIE or label
    # param: min (integer, default 2): the smallest number of postings
    # param: level (level, optional): a seniority level; all levels when omitted
    # example: careergraph query run roles-of-component -p component="Auth & Session Service"

A parameter is a variable of the query, bound through ``initBindings`` when
the query runs (never pasted into the text). Its type is an entity kind
(``component``, ``role``, ``skill``, ``category``, ``posting``,
``organization``, ``person``, ``level``, ``source``; the value is an IRI, a
CURIE or a label), ``iri`` (any entity) or a literal type (``string``,
``integer``, ``decimal``, ``boolean``). A parameter is ``required``, has a
``default``, or is ``optional`` (left unbound when omitted). Write queries so
that every parameter variable appears in a mandatory pattern: rdflib binds it
for the whole query, OPTIONAL parts included. On Oxigraph and SPARQL servers
the values are written into the text instead
(:func:`careergraph.graph.sparql.inline_bindings`), so a query must not
assign a parameter itself (``AS ?param``, ``VALUES ?param``).

Write ``SELECT DISTINCT`` unless repeated rows are meant: the facts of every
source are queried together, and where two sources state the same triple,
Oxigraph and Virtuoso (whose union of named graphs is a bag) would repeat
the rows it matches, while rdflib (whose union is a set) would not.

The query text may use careergraph's prefixes (``cg:``, ``skill:``,
``role:``... see :data:`careergraph.ontology.PREFIXES`) without declaring them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from importlib.resources import files

__all__ = ["NamedQuery", "Parameter", "ENTITY_TYPES", "LITERAL_TYPES", "TYPES",
           "names", "get", "all_queries", "parse"]

#: Parameter types that name an entity, resolved with ``kg.resolve(value, kind)``.
ENTITY_TYPES = ("component", "role", "skill", "category", "posting", "organization",
                "person", "level", "source")
#: Parameter types that are literals, with their XSD datatype's local name.
LITERAL_TYPES = {"string": "string", "integer": "integer", "decimal": "decimal", "boolean": "boolean"}
#: Every parameter type a header may declare.
TYPES = (*ENTITY_TYPES, "iri", *LITERAL_TYPES)

#: Names a parameter may not take (they are options of the functions that run queries).
RESERVED = ("timeout", "limit", "name", "kg")

_KEY = re.compile(r"^#\s?([a-z]+):\s*(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*\(\s*(?P<type>\w+)\s*"
    r"(?:,\s*(?P<mode>required|optional|default\s+(?P<default>.+?)))?\s*\)\s*:\s*(?P<doc>.*)$"
)


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a named query.

    ``default`` is the text of the default value (None when there is none);
    ``required`` parameters have no default and must be given.
    """

    name: str
    type: str
    description: str = ""
    default: str | None = None
    required: bool = False

    @property
    def kind(self) -> str:
        """``"entity"``, ``"iri"`` or ``"literal"``."""
        if self.type in ENTITY_TYPES:
            return "entity"
        return "iri" if self.type == "iri" else "literal"

    def signature(self) -> str:
        """``name (type, required)``, as the header writes it."""
        if self.required:
            mode = "required"
        elif self.default is not None:
            mode = f"default {self.default}"
        else:
            mode = "optional"
        return f"{self.name} ({self.type}, {mode})"

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "description": self.description}


@dataclass(frozen=True)
class NamedQuery:
    """A named SPARQL query read from ``queries/<name>.rq``."""

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    text: str = ""
    example: str | None = None

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called ``name``, or None."""
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "parameters": [p.as_dict() for p in self.parameters], "example": self.example,
                "text": self.text}


def _folder():
    return files(__name__)


def names() -> list[str]:
    """The names of the bundled queries (file names without ``.rq``), sorted.

    Examples
    --------
    >>> "roles-of-component" in names()
    True
    """
    return sorted(p.name[:-3] for p in _folder().iterdir() if p.name.endswith(".rq"))


def get(name: str) -> NamedQuery:
    """The named query ``name``.

    Raises
    ------
    UsageError
        No query has that name; the message lists the closest names.

    Examples
    --------
    >>> q = get("skills-in-several-postings")
    >>> q.parameters[0].signature()
    'min (integer, default 2)'
    """
    known = names()
    if name not in known:
        from careergraph.graph.errors import UsageError

        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown query {name!r}{hint} (careergraph query list shows them all)")
    text = (_folder() / f"{name}.rq").read_text(encoding="utf-8")
    return parse(name, text)


def all_queries() -> list[NamedQuery]:
    """Every bundled query, sorted by name."""
    return [get(n) for n in names()]


def parse(name: str, text: str) -> NamedQuery:
    """Read a query's header comment into a :class:`NamedQuery`.

    Raises
    ------
    ValueError
        The header is missing a title, uses an unknown key or parameter type,
        or declares a parameter twice (the message names the file and line).
    """
    fields: dict[str, str] = {}
    params: list[tuple[int, str]] = []
    current: list | None = None  # [key, text, line] being continued
    entries: list[list] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.rstrip()
        if not stripped.startswith("#"):
            break
        if stripped.strip() == "#":
            current = None
            continue
        cont = _CONTINUATION.match(stripped)
        if cont and current is not None:
            current[1] += " " + cont.group(1).strip()
            continue
        key = _KEY.match(stripped)
        if not key:
            current = None  # a free comment line inside the header
            continue
        current = [key.group(1), key.group(2).strip(), number]
        entries.append(current)

    for key, value, number in entries:
        if key == "param":
            params.append((number, value))
        elif key in ("title", "description", "example"):
            if key in fields:
                raise ValueError(f"{name}.rq:{number}: {key} given twice")
            fields[key] = value
        else:
            raise ValueError(f"{name}.rq:{number}: unknown header key {key!r} "
                             "(use title, description, param, example)")
    if not fields.get("title"):
        raise ValueError(f"{name}.rq: the header has no '# title:' line")

    parameters = []
    for number, value in params:
        m = _PARAM.match(value)
        if not m:
            raise ValueError(f"{name}.rq:{number}: cannot read parameter {value!r}; "
                             "write 'name (type, required|optional|default VALUE): description'")
        pname, ptype, mode = m.group("name"), m.group("type"), m.group("mode") or "optional"
        if ptype not in TYPES:
            raise ValueError(f"{name}.rq:{number}: parameter {pname!r} has unknown type {ptype!r}; "
                             f"use one of {', '.join(TYPES)}")
        if pname in RESERVED:
            raise ValueError(f"{name}.rq:{number}: parameter name {pname!r} is reserved")
        if any(p.name == pname for p in parameters):
            raise ValueError(f"{name}.rq:{number}: parameter {pname!r} declared twice")
        parameters.append(Parameter(pname, ptype, m.group("doc").strip(), m.group("default"),
                                    mode == "required"))
    return NamedQuery(name, fields["title"], fields.get("description", ""), tuple(parameters),
                      text, fields.get("example"))
