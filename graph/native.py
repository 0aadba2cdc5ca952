"""Bulk reads from a pyoxigraph store: SELECT results as rows of IRI strings.

Iterating a pyoxigraph result in Python builds one object per term, and
going through rdflib (oxrdflib) builds two; for the million rows of a
job market that is tens of seconds. Serialising the results as TSV in
Rust and splitting the bytes is several times faster, so the compiled
index and entity listings read big stores this way.

Most of what remains is Oxigraph looking up the text of every IRI it
writes (a FILTER such as ``isIRI(?s)`` looks it up too). Where a
question only needs positions, :func:`select_integers` reads rows of
integers, which Oxigraph writes without any look-up.
"""

from __future__ import annotations

import re

__all__ = ["select_iris", "select_tsv", "tsv_rows", "select_integers", "unescape"]


def select_iris(store, query: str, *, literals: bool = True) -> list[tuple]:
    r"""The rows of a SELECT on ``store`` (over the union of its graphs), as tuples of IRI strings.

    A cell that is not an IRI is None, except a plain literal (such as
    ``STR(?label)`` gives), which is its text, unescaped (None too when
    ``literals`` is false: then every string is an IRI).

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
    >>> select_iris(st, "SELECT ?s ?o WHERE { ?s ?p ?o }", literals=False)
    [('http://x/a', None)]
    """
    return tsv_rows(select_tsv(store, query), literals=literals)


def select_tsv(store, query: str) -> bytes:
    """The results of a SELECT on ``store`` (over the union of its graphs) as TSV bytes.

    Oxigraph answers without holding Python's GIL, so another thread can
    read them while this one works (:func:`tsv_rows` reads them).
    """
    import pyoxigraph as ox

    return store.query(query, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV)


def tsv_rows(data: bytes, *, literals: bool = True) -> list[tuple]:
    """The rows of :func:`select_tsv`'s bytes, cells read as :func:`select_iris` reads them."""
    lines = data.decode("utf-8").split("\n")
    other = _cell if literals else _none
    # an IRI is sliced here, without a call: most cells are IRIs
    return [tuple([c[1:-1] if c[:1] == "<" and c[-1:] == ">" else other(c) for c in line.split("\t")])
            for line in lines[1:] if line]  # the first line names the variables


def select_integers(store, query: str, columns: int):
    """The rows of a SELECT whose every cell is an integer, as a numpy array (rows x ``columns``).

    Oxigraph writes an integer without looking up any string, and numpy reads
    the text at once: a million rows of two integers come out several times
    faster than the same rows of IRIs. Raises ValueError when a cell is
    missing or is not an integer.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> select_integers(ox.Store(), "SELECT ?a ?b WHERE { VALUES (?a ?b) { (1 20) (3 4) } }", 2).tolist()
    [[1, 20], [3, 4]]
    """
    import numpy as np

    data = select_tsv(store, query)
    head, _, body = data.partition(b"\n")
    if len(head.split(b"\t")) != columns:
        raise ValueError(f"{columns} columns expected, got {head!r}")
    rows = body.count(b"\n")
    # Text numpy cannot read raises ValueError (numpy 2.3+), or is left unread with a warning
    # (older numpy): the count below catches that. No warnings filter here: changing one is not
    # thread-safe (build_index reads in two threads), and a filter left on broke later commands.
    try:
        values = np.fromstring(body, dtype=np.int64, sep=" ") if rows else np.zeros(0, dtype=np.int64)
    except ValueError as err:
        raise ValueError(f"a cell that is not an integer: {err}") from err
    # each row is `a<TAB>b...<NL>`: as many whitespace runs as cells, exactly when none is empty
    if len(values) != rows * columns or body.count(b"\t") != rows * (columns - 1) or b"\t\t" in body \
            or b"\n\t" in body or b"\t\n" in body or (rows and body[:1] == b"\t"):
        raise ValueError("a cell that is not an integer")
    return values.reshape(rows, columns)


def _none(cell: str):
    return None


def _cell(cell: str):  # not an IRI: tsv_rows reads those itself
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
