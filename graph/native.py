"""Bulk reads from a pyoxigraph store: SELECT results as rows of IRI strings.

Iterating a pyoxigraph result in Python builds one object per term, and
going through rdflib (oxrdflib) builds two; for the million rows of a
job market that is tens of seconds. Serialising the results as TSV in
Rust and splitting the bytes is several times faster, so the compiled
index and entity listings read big stores this way.
"""

from __future__ import annotations

import re

__all__ = ["select_iris", "unescape"]


def select_iris(store, query: str) -> list[tuple]:
    r"""The rows of a SELECT on ``store`` (over the union of its graphs), as tuples of IRI strings.

    A cell that is not an IRI is None, except a plain literal (such as
    ``STR(?label)`` gives), which is its text, unescaped.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> st = ox.Store()
    >>> st.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("1"),
    ...                ox.NamedNode("http://x/g")))
    >>> select_iris(st, "SELECT ?s ?o WHERE { ?s ?p ?o }")
    [('http://x/a', '1')]
    >>> select_iris(st, "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isIRI(?o)) }")
    []
    >>> select_iris(st, r'SELECT ?o WHERE { BIND("say \"hi\"\tthere \u00e9" AS ?o) }')
    [('say "hi"\tthere é',)]
    """
    import pyoxigraph as ox

    result = store.query(query, use_default_graph_as_union=True)
    data = result.serialize(format=ox.QueryResultsFormat.TSV)
    text = data.decode("utf-8")
    lines = text.split("\n")
    rows = []
    for line in lines[1:]:  # the first line names the variables
        if not line:
            continue
        rows.append(tuple(map(_cell, line.split("\t"))))
    return rows


def _cell(cell: str):
    if len(cell) >= 2 and cell[0] == "<" and cell[-1] == ">":
        return cell[1:-1]
    if len(cell) >= 2 and cell[0] == '"' == cell[-1]:
        return unescape(cell[1:-1])
    return None


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def unescape(text: str) -> str:
    """The text of a string written with SPARQL/N-Triples escapes (``\\t``, ``\\u00e9``...)."""
    return _ESCAPE.sub(_unescape, text) if "\\" in text else text


def _unescape(match) -> str:
    short, long, char = match.groups()
    if short or long:
        return chr(int(short or long, 16))
    return _ESCAPES.get(char, char)
