"""The ``careergraph`` command: a thin skin over :mod:`careergraph.graph`.

Only click is imported at start-up; each command imports what it needs.
"""

from __future__ import annotations

import click

from .options import format_option, handle_errors, pass_state, State
from .output import echo_json, table

__all__ = ["cli", "main"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("careergraph")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


#: Commands that change a workspace; every other command opens it read-only.
WRITING_COMMANDS = frozenset({"init", "add", "remove", "learned", "forget", "import"})


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--data", "data", multiple=True, metavar="FILE",
              help="Load this RDF file (Turtle, N-Triples, JSON-LD, RDF/XML, TriG, N-Quads) on top "
                   "of the bundled dataset. Repeatable.")
@click.option("--store", "store", metavar="DIR", envvar="CAREERGRAPH_STORE",
              type=click.Path(file_okay=False),
              help="Work on the persistent workspace in DIR (made by `careergraph init DIR`) instead of "
                   "the bundled data in memory. Also read from $CAREERGRAPH_STORE.")
@click.option("--endpoint", "endpoint", metavar="URL", envvar="CAREERGRAPH_ENDPOINT",
              help="Work on the data of this SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, GraphDB, "
                   "QLever, Fuseki, Neptune): queries run there, the algorithms pull the subgraph they "
                   "need. Also read from $CAREERGRAPH_ENDPOINT.")
@click.option("--wait", "wait", metavar="SECONDS", type=click.FloatRange(min=0), default=0, envvar="CAREERGRAPH_WAIT",
              help="If another careergraph process is using the workspace (an `add` or `remove` takes a "
                   "while on big data), wait up to SECONDS for it instead of failing (exit code 5). "
                   "Also read from $CAREERGRAPH_WAIT.")
@click.version_option(version=None, package_name="careergraph", prog_name="careergraph",
                      message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx, data, store, endpoint, wait):
    """careergraph: a career knowledge graph of components, roles, skills, job postings and people.

    It ships a dataset (a messenger backend's components and roles, a Flutter
    developer's profile and five job postings) and reads your own RDF files
    with --data.

    Example:

        \b
        careergraph info
        careergraph --data me.ttl validate
        careergraph --store ~/careers path --to "Senior Flutter Developer at Effective"
        careergraph --endpoint http://localhost:7878/query query run skills-of-role -p role=role:qa-engineer
    """
    if endpoint and (store or data):
        from .options import CliError

        given = "--store" if store else "--data"
        raise CliError(f"--endpoint does not mix with {given}: the data is the endpoint's "
                       "(unset CAREERGRAPH_ENDPOINT or CAREERGRAPH_STORE if one comes from there)", 2)
    ctx.obj = State(data, store, endpoint, writes=ctx.invoked_subcommand in WRITING_COMMANDS, wait=wait)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@format_option("table", "json")
@pass_state
@handle_errors
def info(state, fmt):
    """Count the components, roles, skills, postings and people, and list the sources loaded.

    Example:

        \b
        careergraph info --format json
    """
    result = state.kg.info()
    if fmt == "json":
        echo_json(result.as_dict())
        return
    click.echo(table(["what", "count"], [*result.counts.items(), ("triples", result.triples)]))
    click.echo()
    click.echo(table(["source", "kind", "file", "triples"],
                     [(s.label, s.kind, s.file, s.triples) for s in result.sources]))


@cli.command("validate")
@click.argument("files", nargs=-1, metavar="[FILES]...")
@format_option("text", "json", default="text")
@click.option("--no-bundled", is_flag=True, help="Check the files alone, without the bundled dataset.")
@pass_state
@handle_errors
def validate_cmd(state, files, fmt, no_bundled):
    """Check data against careergraph's SHACL shapes and graph rules.

    Parses FILES (and any --data files) with the bundled dataset, then prints one
    sorted line per problem: file, entity, message. Exits 1 when there is any
    error; warnings alone exit 0.

    Example:

        \b
        careergraph validate my-postings.ttl
    """
    from careergraph.graph import load, validate
    from careergraph.graph.errors import UsageError

    if state.store is not None or state.endpoint:
        if files or state.data:
            raise UsageError("with --store, validate checks the workspace; add files first with `add`"
                             if state.store is not None else
                             "with --endpoint, validate checks what the server holds; it takes no files")
        kg = state.kg
    else:
        kg = load(*state.data, *files, bundled=not no_bundled, check=False)
    problems = validate(kg)
    if fmt == "json":
        echo_json([p.as_dict() for p in problems])
    else:
        for p in problems:
            click.echo(f"{p.file}: {p.entity}: {p.severity}: {p.message}")
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        click.echo(f"{errors} error(s), {warnings} warning(s) in {len(kg.sources)} source(s)", err=True)
    if any(p.severity == "error" for p in problems):
        raise click.exceptions.Exit(1)


# -- command modules ---------------------------------------------------------
# Each area's commands live in their own module and register themselves on
# `cli` when imported here (one import line per module; keep them light: no
# rdflib/networkx/pyvis imports at module level).
from . import import_cmds  # noqa: E402,F401
from . import workspace_cmds  # noqa: E402,F401
from . import viz_cmds  # noqa: E402,F401
from . import paths_cmds  # noqa: E402,F401
from . import query_cmds  # noqa: E402,F401


def main():  # the console script
    cli(prog_name="careergraph")

