"""SPARQL query results: the result object, W3C result formats (JSON, CSV, TSV, XML) and RDF output."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Iterator

from rdflib import XSD, BNode, Graph, Literal, URIRef, Variable
from rdflib.query import Result, ResultRow

from .errors import QueryError, UsageError
from .native import unescape

__all__ = [
    "QueryResult",
    "FORMATS_BY_TYPE",
    "serialize",
    "to_tsv",
    "tsv_term",
    "parse_results",
    "from_tsv",
    "display_rows",
]

#: The output formats each kind of query result can be written in.
#: ``text`` is ``true``/``false`` for ASK.
FORMATS_BY_TYPE = {
    "SELECT": ("json", "csv", "tsv", "xml"),
    "ASK": ("text", "json", "xml"),
    "CONSTRUCT": ("turtle", "nt", "jsonld"),
    "DESCRIBE": ("turtle", "nt", "jsonld"),
}

_RDF_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld"}
_RESULT_PARSERS = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv"}


@dataclass
class QueryResult:
    """The answer to a SPARQL query.

    ``type`` is ``"SELECT"``, ``"ASK"``, ``"CONSTRUCT"`` or ``"DESCRIBE"``.
    A SELECT result has ``vars`` (variable names, without ``?``) and ``rows``
    (rdflib ``ResultRow`` objects: index them by position or name, ``row.skill``
    or ``row["skill"]``; unbound values are None). An ASK result has
    ``boolean``; CONSTRUCT and DESCRIBE have ``graph``. ``truncated`` is True
    when a row limit cut the answer short.

    Iterating yields the rows (SELECT), the triples (CONSTRUCT/DESCRIBE) or
    the single boolean (ASK); ``bool(result)`` is the ASK answer, or whether
    there is any row or triple.
    """

    type: str
    vars: list[str] = field(default_factory=list)
    rows: list = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False

    @classmethod
    def select(cls, vars, rows, *, truncated=False) -> "QueryResult":
        """A SELECT result from variable names and tuples of terms (None for unbound).

        The rows are ``ResultRow`` objects sharing one name-to-position map
        (``ResultRow(values, labels)`` builds a dict per row: a second for 100k rows).
        """
        names = [str(v) for v in vars]
        labels = {name: i for i, name in enumerate(names)}
        width = len(names)
        new = tuple.__new__
        built = []
        for row in rows:
            if len(row) != width:  # as ResultRow(values, labels) reads it: missing values unbound
                row = (*tuple(row)[:width], *(None,) * (width - len(row)))
            made = new(ResultRow, row)
            made.labels = labels
            built.append(made)
        return cls("SELECT", names, built, truncated=truncated)

    def __iter__(self) -> Iterator:
        if self.type == "SELECT":
            return iter(self.rows)
        if self.type == "ASK":
            return iter([self.boolean])
        return iter(self.graph if self.graph is not None else ())

    def __len__(self) -> int:
        if self.type == "SELECT":
            return len(self.rows)
        if self.type == "ASK":
            return 1
        return len(self.graph) if self.graph is not None else 0

    def __bool__(self) -> bool:
        if self.type == "ASK":
            return bool(self.boolean)
        return len(self) > 0

    def as_dicts(self) -> list[dict]:
        """SELECT rows as ``{variable: term}`` dicts, unbound variables left out."""
        return [{v: row[i] for i, v in enumerate(self.vars) if row[i] is not None} for row in self.rows]

    def to_rdflib(self) -> Result:
        """The same answer as an ``rdflib.query.Result`` (for rdflib's serializers)."""
        result = Result(self.type)
        if self.type == "SELECT":
            result.vars = [Variable(v) for v in self.vars]
            result.bindings = [{Variable(k): v for k, v in d.items()} for d in self.as_dicts()]
        elif self.type == "ASK":
            result.askAnswer = bool(self.boolean)
        else:
            result.graph = self.graph if self.graph is not None else Graph()
        return result

    def serialize(self, format: str) -> str:
        """This result in ``format``; see :func:`serialize`."""
        return serialize(self, format)


def _check_format(result: QueryResult, format: str) -> None:
    allowed = FORMATS_BY_TYPE.get(result.type, ())
    if format not in allowed:
        article = "an" if result.type == "ASK" else "a"
        raise UsageError(f"format {format!r} does not apply to {article} {result.type} query; "
                         f"use {', '.join(allowed)}")


def serialize(result: QueryResult, format: str) -> str:
    """Write a query result in a standard format.

    Parameters
    ----------
    result : QueryResult
    format : str
        SELECT: ``json``, ``csv``, ``tsv``, ``xml`` (the W3C SPARQL 1.1 Query
        Results formats). ASK: ``text`` (``true`` or ``false``), ``json``,
        ``xml``. CONSTRUCT and DESCRIBE: ``turtle``, ``nt``, ``jsonld``.

    Returns
    -------
    str
        The serialization, ending with a newline.

    Raises
    ------
    UsageError
        The format does not apply to this kind of result.

    Examples
    --------
    >>> from rdflib import Literal
    >>> print(serialize(QueryResult.select(["n"], [(Literal(2),)]), "tsv"), end="")
    ?n
    2
    """
    _check_format(result, format)
    if format == "text":
        return ("true" if result.boolean else "false") + "\n"
    if format == "tsv":
        return to_tsv(result.vars, result.rows)
    if format == "xml":
        _check_xml_chars(result)
    if format in _RDF_FORMATS:
        graph = result.graph if result.graph is not None else Graph()
        text = graph.serialize(format=_RDF_FORMATS[format])
    else:
        text = result.to_rdflib().serialize(format=format).decode("utf-8")
        if format == "csv":  # rdflib writes \r\n line ends (RFC 4180); keep them
            return text
        if format == "xml":  # a raw CR would come back as LF (XML end-of-line handling)
            text = text.replace("\r", "&#13;")
        elif format == "json":  # rdflib writes "results" before "head"; readers expect head first
            doc = json.loads(text)
            text = json.dumps({"head": doc.pop("head", {}), **doc}, ensure_ascii=False)
    return text if text.endswith("\n") else text + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check_xml_chars(result: QueryResult) -> None:
    """XML 1.0 cannot carry most control characters, not even escaped: refuse rather than write bad XML."""
    for row in result.rows:
        for value in row:
            if value is not None and _NOT_XML.search(str(value)):
                raise QueryError(f"the value {str(value)[:40]!r} holds a control character that XML cannot "
                                 "carry; use --format json or tsv")


# -- TSV ---------------------------------------------------------------------------
# rdflib parses SPARQL TSV results but cannot write them. The W3C format writes
# terms as in Turtle/SPARQL; literals are escaped with the N-Triples ECHAR
# escapes, so tabs and newlines inside values never break the layout.

_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_ECHAR_RE = re.compile(r'[\\"\n\r\t\b\f]')
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _escape(text: str) -> str:
    return _ECHAR_RE.sub(lambda m: _ECHAR[m.group()], text)


def tsv_term(term) -> str:
    """One RDF term in SPARQL TSV syntax (``""`` for unbound).

    Examples
    --------
    >>> from rdflib import Literal
    >>> tsv_term(Literal("a\\tb", lang="en"))
    '"a\\\\tb"@en'
    """
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        lexical = str(term)
        if term.language:
            return f'"{_escape(lexical)}"@{term.language}'
        dt = term.datatype
        if dt is None:
            return f'"{_escape(lexical)}"'
        if dt == XSD.integer and _INTEGER.fullmatch(lexical):
            return lexical
        if dt == XSD.boolean and lexical in ("true", "false"):
            return lexical
        return f'"{_escape(lexical)}"^^<{dt}>'
    raise TypeError(f"not an RDF term: {term!r}")


def to_tsv(vars, rows) -> str:
    """SELECT results as W3C SPARQL 1.1 TSV: a ``?var`` header, then one line per row."""
    lines = ["\t".join(f"?{v}" for v in vars)]
    for row in rows:
        lines.append("\t".join(tsv_term(value) for value in row))
    return "\n".join(lines) + "\n"


# -- reading Oxigraph's TSV ----------------------------------------------------------
# Iterating a pyoxigraph result builds a Python object per solution and per term
# (about 15 µs a row of two IRIs); serialising the whole result as TSV in Rust and
# splitting the text is several times faster, and each distinct cell is made an
# rdflib term once.

_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")


def _tsv_cell(cell: str):
    """One W3C TSV cell as the rdflib term rdflib's parsers make (``xsd:string`` as a plain literal)."""
    if not cell:
        return None
    first = cell[0]
    if first == "<":
        return URIRef(cell[1:-1])
    if first == '"':
        end = cell.rfind('"')
        text = cell[1:end]
        text = unescape(text)
        rest = cell[end + 1:]
        if not rest:
            return Literal(text)
        if rest[0] == "@":
            return Literal(text, lang=rest[1:])
        datatype = rest[3:-1]  # ^^<...>
        if datatype == _XSD_STRING:
            return Literal(text)
        return Literal(text, datatype=URIRef(datatype))
    if cell.startswith("_:"):
        return BNode(cell[2:])
    # Turtle's short forms: true/false, integers, decimals, doubles
    if cell in ("true", "false"):
        return Literal(cell, datatype=XSD.boolean)
    if _INTEGER_TOKEN.fullmatch(cell):
        return Literal(cell, datatype=XSD.integer)
    if _DECIMAL.fullmatch(cell):
        return Literal(cell, datatype=XSD.decimal)
    return Literal(cell, datatype=XSD.double)


_XSD_STRING = str(XSD.string)
_INTEGER_TOKEN = re.compile(r"[+-]?[0-9]+")


def from_tsv(data: bytes | str) -> tuple[list[str], list[tuple]]:
    r"""Variable names and rows of SPARQL TSV results (as Oxigraph writes them), as rdflib terms.

    The terms equal those :func:`careergraph.graph.sparql.from_oxigraph`
    makes from the same solutions, lexical forms included; unbound cells are
    None. Each distinct cell is converted once.

    Examples
    --------
    >>> names, rows = from_tsv('?s\t?n\n<http://x/a>\t2\n\t"a\\tb"@en\n')
    >>> names
    ['s', 'n']
    >>> rows[0][0], rows[0][1].datatype.endswith("#integer")
    (rdflib.term.URIRef('http://x/a'), True)
    >>> rows[1]
    (None, rdflib.term.Literal('a\tb', lang='en'))
    """
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    lines = text.split("\n")  # literals write their line breaks and tabs as escapes
    names = [v[1:] for v in lines[0].split("\t")] if lines[0] else []
    body = lines[1:]
    if body and body[-1] == "":  # the newline ending the last row
        body.pop()
    if not names:  # a solution without variables is an empty line
        return names, [() for _ in body]
    terms: dict = {"": None}
    rows = []
    for line in body:
        row = []
        for cell in line.split("\t"):
            term = terms.get(cell, terms)
            if term is terms:
                term = terms[cell] = _tsv_cell(cell)
            row.append(term)
        rows.append(tuple(row))
    return names, rows


# -- reading results back ------------------------------------------------------------

def parse_results(text: str | bytes, format: str) -> QueryResult:
    """Parse SPARQL results (``json``, ``xml``, ``csv``, ``tsv``) with rdflib's parsers.

    Used to check that what careergraph writes reads back: CSV keeps only the
    text of each value (the W3C CSV format drops types and language tags).

    Raises
    ------
    QueryError
        The text is not a valid result document in that format.
    """
    if format not in _RESULT_PARSERS:
        raise UsageError(f"cannot parse results in {format!r}; use {', '.join(_RESULT_PARSERS)}")
    # text, not bytes: rdflib decodes bytes with a reader whose readline() also splits
    # at \x1c-\x1e, \x85, \u2028 and \u2029, which TSV leaves unescaped inside values
    stream = io.StringIO(text) if isinstance(text, str) else io.BytesIO(text)
    try:
        result = Result.parse(stream, format=_RESULT_PARSERS[format])
    except Exception as err:  # rdflib raises assorted types for bad input
        raise QueryError(f"not valid SPARQL {format} results: {err}") from err
    if result.type == "ASK":
        return QueryResult("ASK", boolean=bool(result.askAnswer))
    names = [str(v) for v in result.vars]
    rows = [tuple(b.get(Variable(v)) for v in names) for b in result.bindings]
    return QueryResult.select(names, rows)


# -- the terminal --------------------------------------------------------------------

def display_rows(result: QueryResult, kg=None, *, iris: bool = False) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells of a SELECT result, for a table.

    IRIs are shown by their label (``kg.label``) unless ``iris`` is true or
    no graph is given; blank nodes as ``_:id``; unbound values as ``""``.
    """
    cache: dict = {}
    if kg is not None and not iris:
        from .resolve import prefetch_labels  # in bulk on a workspace, from 1000 IRIs on

        prefetch_labels(kg, {v for row in result.rows for v in row if isinstance(v, URIRef)})

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, URIRef):
            if iris or kg is None:
                return str(value)
            if value not in cache:
                cache[value] = kg.label(value)
            return cache[value]
        if isinstance(value, BNode):
            return f"_:{value}"
        return str(value)

    return list(result.vars), [[cell(v) for v in row] for row in result.rows]
