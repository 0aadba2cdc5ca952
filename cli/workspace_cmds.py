"""Workspace commands: init, add, remove, learned, forget."""

from __future__ import annotations

import click

from .main import cli
from .options import handle_errors, pass_state


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--no-bundled", is_flag=True, help="Start empty, without the bundled dataset.")
@handle_errors
def init_cmd(directory, no_bundled):
    """Create a persistent workspace in DIRECTORY (a new or empty folder).

    The workspace is an on-disk Oxigraph store holding the bundled dataset; add
    your own files with `add`, record progress with `learned`, and point any
    command at it with the global --store option (or $CAREERGRAPH_STORE).

    Example:

        \b
        careergraph init ~/careers
        careergraph --store ~/careers info
    """
    from careergraph.graph.workspace import init_workspace

    ws = init_workspace(directory, bundled=not no_bundled)
    total = sum(s.triples for s in ws.sources())
    ws.close()
    click.echo(f"created workspace {directory} ({total} triples)")


@cli.command("add")
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option("--replace", is_flag=True, help="Replace a file added before (same path) with its new content.")
@click.option("--from-endpoint", "endpoint", metavar="URL",
              help="Add what the algorithms read from this SPARQL endpoint, as one source (a mirror; "
                   "--replace refreshes it).")
@pass_state
@handle_errors
def add_cmd(state, files, replace, endpoint):
    """Add RDF files to the workspace given by --store, each as its own source.

    Each file is streamed into the store (big files are bulk loaded), checked
    for prerequisite and hierarchy cycles, and only then listed in the
    workspace's catalog. A malformed file or a cycle leaves the workspace as it
    was; a run that is killed part-way is undone the next time the workspace
    is opened (with a message saying so).

    --from-endpoint URL copies what `path`, `rank` and the other algorithms
    read from a SPARQL server (careergraph's properties and classes, names,
    descriptions, the hierarchy) into the workspace, so that they answer
    locally instead of pulling it in every run.

    Example:

        \b
        careergraph --store ~/careers add me.ttl postings.ttl
        careergraph --store ~/careers add --from-endpoint http://localhost:7878/query
    """
    from careergraph.graph.errors import UsageError

    if bool(files) == bool(endpoint):
        raise UsageError("give FILE... to add, or --from-endpoint URL (not both)")
    ws = state.workspace
    if endpoint:
        from careergraph.graph.endpoint import Endpoint, mirror, page_size_from_env

        source = Endpoint(endpoint)
        info = ws.add_written(lambda path: mirror(source, path, page_size=page_size_from_env()),
                              label=f"SPARQL endpoint {endpoint}", key=endpoint, replace=replace)
        click.echo(f"added {endpoint}: {info.triples} triples as {info.iri}")
    for file in files:
        info = ws.add(file, replace=replace)
        click.echo(f"added {file}: {info.triples} triples as {info.iri}")
        _warn_undeclared(ws, file, info.iri)


def _warn_undeclared(ws, file, graph) -> None:
    """Say on stderr what the added file points at that nothing declares (the add stands:
    a later file may declare it)."""
    from careergraph.graph.checks import undeclared_references
    from careergraph.graph.resolve import curie

    for cls, values in undeclared_references(ws.store, graph).items():
        shown = ", ".join(curie(v) for v in values[:5]) + (f" and {len(values) - 5} more" if len(values) > 5 else "")
        click.echo(f"Warning: {file}: points at {len(values)} {curie(cls)} value(s) that nothing in the workspace "
                   f"declares: {shown} (`careergraph --store {ws.folder} validate` lists where)", err=True)


@cli.command("remove")
@click.argument("source")
@pass_state
@handle_errors
def remove_cmd(state, source):
    """Remove a source you added (by IRI, CURIE or file name) from the workspace.

    Example:

        \b
        careergraph --store ~/careers remove me.ttl
    """
    from rdflib import URIRef

    from careergraph.graph.errors import UsageError

    ws = state.workspace
    user = [s for s in ws.sources() if s.kind == "user"]
    matches = [s for s in user if source in (str(s.iri), s.label, s.file, state.kg.curie(s.iri))]
    if len(matches) != 1:
        listed = ", ".join(f"{s.label} ({state.kg.curie(s.iri)})" for s in user) or "none"
        raise UsageError(f"{source!r} is not exactly one user source; the user sources are: {listed}")
    ws.remove(URIRef(matches[0].iri))
    click.echo(f"removed {matches[0].label}")


def _person(state, person):
    from careergraph.graph.errors import UsageError

    kg = state.kg
    if person is not None:
        return kg.resolve(person, kind="person")
    people = kg.entities("person")
    if len(people) == 1:
        return people[0]
    listed = ", ".join(f"{kg.label(p)} ({kg.curie(p)})" for p in people) or "none"
    raise UsageError(f"say which person with --person; the people are: {listed}")


def _person_and_skill(state, person, skill):
    kg = state.kg
    return kg, _person(state, person), kg.resolve(skill, kind="skill")


@cli.command("learned")
@click.argument("skill")
@click.option("--person", help="Whose progress (default: the only person in the data).")
@pass_state
@handle_errors
def learned_cmd(state, skill, person):
    """Record that a person has learned SKILL, so the next `path` is shorter.

    Needs a workspace (--store). Undo with `forget`.

    Example:

        \b
        careergraph --store ~/careers learned "Dart event loop"
    """
    kg, who, what = _person_and_skill(state, person, skill)
    if state.workspace.learned(who, what):
        click.echo(f"recorded: {kg.label(who)} has learned {kg.label(what)}")
    else:
        click.echo(f"already recorded: {kg.label(who)} has learned {kg.label(what)}")


@cli.command("forget")
@click.argument("skill")
@click.option("--person", help="Whose progress (default: the only person in the data).")
@pass_state
@handle_errors
def forget_cmd(state, skill, person):
    """Undo `learned`: remove the record that a person has learned SKILL.

    Example:

        \b
        careergraph --store ~/careers forget "Dart event loop"
    """
    kg, who, what = _person_and_skill(state, person, skill)
    if state.workspace.forget(who, what):
        click.echo(f"forgot: {kg.label(who)} has learned {kg.label(what)}")
    else:
        raise click.ClickException(f"nothing to forget: {kg.label(who)} has no recorded progress on "
                                   f"{kg.label(what)}")
