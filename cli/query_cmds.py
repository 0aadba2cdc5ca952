"""Commands that ask the graph questions: named queries (``query``) and ad-hoc SPARQL (``sparql``)."""

from __future__ import annotations

import click

from .main import cli
from .options import handle_errors, pass_state
from .output import echo_json, table

__all__ = ["query_group", "sparql_cmd"]

_FORMATS = ["table", "json", "csv", "tsv", "xml", "turtle", "nt", "jsonld"]


def _result_options(fn):
    """``--format``, ``--iris``, ``--timeout`` and ``--limit``, shared by ``query run`` and ``sparql``."""
    fn = click.option("--limit", type=click.IntRange(min=0), default=10000, show_default=True,
                      help="Show at most this many rows (or triples); 0 for no limit.")(fn)
    fn = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
                      show_default=True, metavar="SECONDS",
                      help="Stop the query after this many seconds (exit code 3).")(fn)
    fn = click.option("--iris", is_flag=True, help="In tables, show IRIs instead of labels.")(fn)
    fn = click.option("--format", "fmt", type=click.Choice(_FORMATS), default="table", show_default=True,
                      help="SELECT: table, json, csv, tsv, xml. ASK: table (true/false), json, xml. "
                           "CONSTRUCT/DESCRIBE: table (Turtle), turtle, nt, jsonld.")(fn)
    return fn


def _library_format(kind: str, fmt: str) -> str | None:
    """The serializer format for ``fmt`` (None for a SELECT table); a usage error when it does not apply."""
    from careergraph.graph.errors import UsageError
    from careergraph.graph.results import FORMATS_BY_TYPE

    if fmt == "table":
        return {"SELECT": None, "ASK": "text"}.get(kind, "turtle")
    if fmt not in FORMATS_BY_TYPE[kind]:
        shown = ["table", *(f for f in FORMATS_BY_TYPE[kind] if f != "text")]
        raise UsageError(f"--format {fmt} does not apply to {'an' if kind == 'ASK' else 'a'} {kind} query; use {', '.join(shown)}")
    return fmt


def _run(get_kg, kind, fmt, iris, limit, call):
    """Check the format, run ``call(get_kg())`` (one library call), print the result."""
    from careergraph.graph.errors import QueryTimeoutError
    from careergraph.graph.results import display_rows

    out_format = _library_format(kind, fmt)
    try:
        result = call(get_kg())
    except QueryTimeoutError as err:
        raise QueryTimeoutError(f"{err} (raise it with --timeout SECONDS)") from err
    if out_format is None:
        headers, rows = display_rows(result, get_kg(), iris=iris)
        click.echo(table(headers, rows))
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)
    else:
        click.echo(result.serialize(out_format), nl=False)
    if result.truncated:
        what = "rows" if result.type == "SELECT" else "triples"
        click.echo(f"careergraph: showing the first {limit} {what}; there are more "
                   "(raise --limit, or 0 for no limit)", err=True)


# -- named queries -------------------------------------------------------------------

@cli.group("query")
def query_group():
    """Run careergraph's named SPARQL queries (the files in queries/*.rq).

    Example:

    \b
        careergraph query list
        careergraph query show skills-in-several-postings
        careergraph query run roles-of-component -p component="Auth & Session Service"
    """


@query_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@handle_errors
def query_list(fmt):
    """List the named queries with their titles and parameters.

    Example:

        \b
        careergraph query list --format json
    """
    from careergraph import queries

    found = queries.all_queries()
    if fmt == "json":
        echo_json([{"name": q.name, "title": q.title, "parameters": [p.as_dict() for p in q.parameters]}
                   for q in found])
        return
    click.echo(table(["name", "title", "parameters"],
                     [(q.name, q.title, ", ".join(p.name for p in q.parameters)) for q in found]))


@query_group.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@handle_errors
def query_show(name, fmt):
    """Show a named query: what it answers, its parameters and its SPARQL text.

    Example:

        \b
        careergraph query show skill-gap
    """
    from careergraph import queries

    q = queries.get(name)
    if fmt == "json":
        echo_json(q.as_dict())
        return
    click.echo(f"{q.name}: {q.title}")
    if q.description:
        click.echo()
        click.echo(q.description)
    click.echo()
    if q.parameters:
        click.echo("Parameters (give them with -p NAME=VALUE):")
        for p in q.parameters:
            click.echo(f"  {p.signature()}: {p.description}")
    else:
        click.echo("Parameters: none")
    if q.example:
        click.echo()
        click.echo("Example:")
        click.echo(f"  {q.example}")
    click.echo()
    click.echo(q.text.rstrip("\n"))


def _parse_params(values) -> dict:
    params = {}
    for item in values:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="-p/--param")
        if key in params:
            raise click.BadParameter(f"{key!r} given twice", param_hint="-p/--param")
        params[key] = value
    return params


@query_group.command("run")
@click.argument("name")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; entities by IRI, CURIE or label. Repeatable.")
@_result_options
@pass_state
@handle_errors
def query_run(state, name, params, fmt, iris, timeout, limit):
    """Run a named query, with its parameters given as -p NAME=VALUE.

    An unknown or missing parameter is a usage error (exit 2) that lists the
    query's parameters; `careergraph query show NAME` describes them. With
    --endpoint URL the query runs on that SPARQL server, the values written
    into it as escaped SPARQL terms. Without --data, --store or --endpoint
    the bundled data is loaded into an in-memory Oxigraph store and the query
    runs there (the same rows as rdflib's evaluator, in a fraction of the time).

    Example:

    \b
        careergraph query run skills-in-several-postings -p min=3
        careergraph query run skill-gap -p person="Seed author" -p posting="Flutter Developer at Red"
    """
    from careergraph import queries
    from careergraph.graph.sparql import run_named, text_type

    kind = text_type(queries.get(name).text)  # careergraph's own query: no need to parse it
    values = _parse_params(params)
    _run(lambda: state.query_kg, kind, fmt, iris, limit,
         lambda kg: run_named(kg, name, timeout=timeout, limit=limit or None, **values))


# -- ad-hoc SPARQL ---------------------------------------------------------------------

def _read_query(query: str) -> str:
    if query == "-":
        import sys

        return sys.stdin.read()
    if query.startswith("@"):
        from pathlib import Path

        path = Path(query[1:])
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise click.BadParameter(f"cannot read {path}: {getattr(err, 'strerror', None) or err}",
                                     param_hint="QUERY") from err
    return query


@cli.command("sparql")
@click.argument("query", metavar="QUERY|-|@FILE")
@_result_options
@pass_state
@handle_errors
def sparql_cmd(state, query, fmt, iris, timeout, limit):
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) on the graph.

    QUERY is the query text, - to read it from standard input, or @FILE to
    read it from a file. careergraph's prefixes (cg:, skill:, role:,
    component:, posting:, org:, person:, level:, category:, source:, skos:,
    schema:, rdf:, rdfs:, owl:, xsd:, dcterms:, esco:) are declared for you.
    Facts carry their source as a named graph: GRAPH ?source { ... }.

    The graph is read-only: SPARQL Update is refused, and so are SERVICE,
    FROM and FROM NAMED, which would make the query read other files or
    URLs. ASK prints true or false and exits 0 either way. With --store the
    query runs in Oxigraph; with --endpoint it runs on the SPARQL server.

    Example:

    \b
        careergraph sparql 'SELECT ?role WHERE { component:mtproto-gateway cg:staffedBy ?role }'
        careergraph sparql 'ASK { person:seed-author cg:hasSkill skill:dart }'
        careergraph sparql @my-query.rq --format csv
    """
    from careergraph.graph.sparql import prepare, query_type, run_sparql

    text = _read_query(query)
    kind = query_type(prepare(text))
    _run(lambda: state.kg, kind, fmt, iris, limit,
         lambda kg: run_sparql(kg, text, timeout=timeout, limit=limit or None))
