"""``careergraph viz``: write the interactive graph page."""

from __future__ import annotations

import click

from .main import cli
from .options import handle_errors, pass_state

__all__ = ["viz"]

_TYPES = ("component", "role", "skill", "category", "posting", "organization", "person", "level")


def _split_types(ctx, param, values):
    """``--types a,b --types c`` -> ("a", "b", "c"); None when not given."""
    if not values:
        return None
    chosen = []
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in _TYPES:
                raise click.BadParameter(f"unknown type {part!r}; choose from {', '.join(_TYPES)}")
            chosen.append(part)
    if not chosen:
        raise click.BadParameter("give at least one type")
    return tuple(dict.fromkeys(chosen))


@cli.command("viz")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default="careergraph.html",
              show_default=True, metavar="FILE", help="Write the page here (atomically).")
@click.option("--focus", metavar="ENTITY",
              help="Draw only this entity (IRI, CURIE or label) and its neighbourhood.")
@click.option("--depth", type=click.IntRange(min=0), default=None, metavar="K",
              help="Radius of the --focus neighbourhood in edges  [default: 1].")
@click.option("--types", "types", multiple=True, callback=_split_types, metavar="KINDS",
              help="Comma-separated kinds to draw: " + ", ".join(_TYPES)
                   + "  [default: component,role,skill,posting,person].")
@click.option("--max-nodes", type=click.IntRange(min=1), default=2000, show_default=True, metavar="N",
              help="Refuse to draw more nodes than this.")
@click.option("--to", "to", metavar="TARGET",
              help="Highlight the learning path to this posting or role (numbered steps, the rest dimmed). "
                   "If the whole graph is too big to draw, the path and its target's neighbourhood are drawn.")
@click.option("--person", metavar="P", help="Whose learning path (with --to; default: the only person).")
@click.option("--open", "open_", is_flag=True, help="Open the page in the default browser.")
@pass_state
@handle_errors
def viz(state, out, focus, depth, types, max_nodes, to, person, open_):
    """Write the knowledge graph as an interactive HTML page and print its path.

    Colour and shape show each node's kind (see the legend); hover or click
    a node or edge for its type, description and sources; the search box
    finds a node by label. The page is a single file that works offline.

    Example:

    \b
        careergraph viz --open
        careergraph viz --focus skill:dart --depth 2 --out dart.html
        careergraph viz --types role,skill --max-nodes 500
        careergraph viz --to "Senior Flutter Developer at Effective" --out path.html
    """
    from pathlib import Path

    from careergraph.graph.errors import UsageError, ViewTooBigError
    from careergraph.graph.visualize import DEFAULT_TYPES, graph_view, write_html

    if depth is not None and focus is None:
        raise UsageError("--depth needs --focus ENTITY")
    if person is not None and to is None:
        raise UsageError("--person goes with --to TARGET")
    highlight = {}
    if to is not None:
        from careergraph.graph.convert import resolve_person, resolve_target
        from careergraph.graph.paths import learning_path

        kg = state.kg
        plan = learning_path(kg, resolve_person(kg, person), resolve_target(kg, to))
        highlight = dict(path=[step.skill.iri for step in plan.steps], path_target=plan.target.iri,
                         title=f"careergraph: learning path to {plan.target.label} "
                               f"({len(plan.steps)} steps, {plan.total_hours:g} h)")
    try:
        view = graph_view(state.kg, types=types or DEFAULT_TYPES, focus=focus,
                          depth=1 if depth is None else depth, max_nodes=max_nodes, **highlight)
    except ViewTooBigError:
        if to is None or focus is not None:
            raise
        # big data: the whole graph cannot be drawn, the path with its own neighbourhood can
        click.echo(f"the whole graph has more than {max_nodes} nodes (--max-nodes): drawing the path "
                   f"and its target's neighbourhood (--focus {state.kg.curie(plan.target.iri)})", err=True)
        view = graph_view(state.kg, types=types or DEFAULT_TYPES, focus=plan.target.iri, depth=1,
                          max_nodes=max_nodes, **highlight)
    path = write_html(view, Path(out))
    click.echo(str(path))
    if open_:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
