"""Commands for learning paths and graph questions: path, gap, rank, next, explain, demand."""

from __future__ import annotations

import click

from .main import cli
from .options import format_option, handle_errors, pass_state
from .output import echo_json, table

__all__ = ["path_cmd", "gap_cmd", "rank_cmd", "next_cmd", "explain_cmd", "demand_cmd"]

_person_option = click.option(
    "--person", metavar="PERSON",
    help="Whose skills to start from (IRI, CURIE or label). Default: the only person in the data.")
_target_option = click.option(
    "--to", "target", required=True, metavar="TARGET",
    help="A job posting or role (IRI, CURIE such as posting:red-flutter-developer, or label).")


def _h(hours) -> str:
    """Hours for the terminal: ``12 h``, ``7.5 h``."""
    if hours is None:
        return "?"
    value = round(float(hours), 2)
    return f"{int(value) if value.is_integer() else value} h"


def _names(refs, limit=None) -> str:
    names = [r.label for r in refs]
    if limit is not None and len(names) > limit:
        names = names[:limit] + [f"+{len(names) - limit} more"]
    return ", ".join(names)


@cli.command("path")
@_target_option
@_person_option
@click.option("--hours-per-week", type=click.FloatRange(min=0, min_open=True), default=10,
              show_default=True, help="Pace used for the weeks estimate.")
@click.option("--optional", is_flag=True,
              help="Also learn the posting's preferred (optional) skills.")
@format_option("table", "json")
@pass_state
@handle_errors
def path_cmd(state, target, person, hours_per_week, optional, fmt):
    """The cheapest learning plan from a person's skills to a job posting or role.

    Every missing essential requirement is learned with its unmet
    prerequisites, in an order where each prerequisite comes first; where a
    requirement can be met by several narrower skills, the choice with the
    fewest total hours is made (the other choices are listed with the total
    they would cost). Holding a narrower skill meets a broader requirement,
    and prerequisites of held skills count as held.

    Example:

    \b
        careergraph path --to "Senior Flutter Developer at Effective"
        careergraph path --to posting:tochka-znaniy-senior-flutter-developer --format json
    """
    from careergraph.graph.paths import learning_path

    plan = learning_path(state.kg, person, target, optional=optional, hours_per_week=hours_per_week)
    if fmt == "json":
        echo_json(plan.as_dict())
        return
    click.echo(f"Learning path for {plan.person.label} to {plan.target.label} ({plan.target_kind})")
    click.echo()
    if plan.steps:
        rows = []
        for step in plan.steps:
            instead = ", ".join(f"{a.skill.label} ({_h(a.plan_hours)} in all)" for a in step.alternatives)
            rows.append((step.position, step.skill.label, _h(step.hours) if step.priced else "unpriced",
                         step.reason, instead))
        click.echo(table(["#", "skill", "hours", "why", "chosen over"], rows))
        click.echo()
        weeks = plan.weeks
        click.echo(f"Total: {_h(plan.total_hours)}, {weeks:.1f} weeks at {_h(plan.hours_per_week)}/week")
    else:
        click.echo("Nothing to learn: every essential requirement is already met.")
    if plan.approximate:
        click.echo(f"Approximate: the search stopped at its node budget; the best plan needs at least "
                   f"{_h(plan.lower_bound)}.")
    if plan.unpriced:
        click.echo(f"Unpriced (no effort hours in the data, counted as 0): {_names(plan.unpriced)}")
    if plan.met:
        click.echo()
        click.echo(f"Already met ({len(plan.met)}):")
        for m in plan.met:
            how = {"direct": "held",
                   "narrower": f"through {m.held.label}",
                   "prerequisite": f"as a prerequisite of {m.held.label}"}[m.via]
            kind = "" if m.essential else " (optional)"
            click.echo(f"  {m.requirement.label}{kind}: {how}")
    unmet = [o for o in plan.optional if not o.met]
    if unmet:
        click.echo()
        click.echo("Optional skills" + (" (included above):" if plan.optional[0].included else ":"))
        for o in unmet:
            click.echo(f"  {o.skill.label}: +{_h(o.extra_hours)}")


@cli.command("gap")
@_target_option
@_person_option
@format_option("table", "json")
@pass_state
@handle_errors
def gap_cmd(state, target, person, fmt):
    """Requirement by requirement: held, met through a narrower skill, or missing.

    Status is "held" (held directly), "narrower" (a narrower skill is held),
    "prerequisite" (a prerequisite of a held skill) or "missing". For a
    missing requirement, "learn" is the skill the cheapest plan (`path`)
    learns to meet it, when that is a narrower skill, and hours are that
    skill's own effort (prerequisites are listed by `path`).

    Example:

    \b
        careergraph gap --to "Flutter Developer (Middle) at A3F Group"
    """
    from careergraph.graph.ranking import gap

    result = gap(state.kg, person, target)
    if fmt == "json":
        echo_json(result.as_dict())
        return
    click.echo(f"Gap for {result.person.label} to {result.target.label} ({result.target_kind})")
    click.echo()
    rows = [(r.requirement.label, "essential" if r.essential else "optional", r.status,
             r.held.label if r.held else "",
             r.learn.label if r.learn and r.learn.iri != r.requirement.iri else "",
             _h(r.hours) if r.status == "missing" else "")
            for r in result.rows]
    click.echo(table(["requirement", "kind", "status", "held skill", "learn", "hours"], rows))


@cli.command("rank")
@click.argument("kind", type=click.Choice(["postings", "roles", "components"]))
@_person_option
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Show only the first N rows (fast on 100k postings).")
@format_option("table", "json")
@pass_state
@handle_errors
def rank_cmd(state, kind, person, limit, fmt):
    """Rank postings, roles or components by the hours a person needs to reach them.

    Coverage is the share of essential requirements already met. A component
    is reached through the roles that staff it: its row shows the role the
    person could fill with the fewest hours. Hours marked ~ are not proven
    the least (the JSON gives the lower bound). Where the data gives some
    skills no effort hours (ESCO's, say), an "unpriced" column counts those
    a target needs learned; targets needing fewer come first.

    Example:

    \b
        careergraph rank postings
        careergraph rank postings --limit 10
        careergraph rank components --format json
    """
    from careergraph.graph.ranking import rank

    result = rank(state.kg, kind, person=person, limit=limit)
    if fmt == "json":
        echo_json(result.as_dict())
        return
    unpriced = any(r.unpriced for r in result.rows)
    headers = ["#", kind[:-1], "hours", *(["unpriced"] if unpriced else []), "coverage", "met", "missing"]
    if kind == "components":
        headers.insert(2, "best role")
    rows = []
    for i, r in enumerate(result.rows, start=1):
        row = [i, r.target.label, _h(r.hours) + ("~" if r.approximate else ""),
               *([r.unpriced or ""] if unpriced else []), f"{r.coverage:.0f}%",
               f"{r.met}/{r.required}", _names(r.missing, limit=4)]
        if kind == "components":
            row.insert(2, r.via.label if r.via else "")
        rows.append(row)
    click.echo(table(headers, rows))
    if unpriced:
        click.echo("unpriced: skills to learn that have no effort hours in the data (not in the hours); "
                   "rows with fewer come first")


@cli.command("next")
@_person_option
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many skills.")
@format_option("table", "json")
@pass_state
@handle_errors
def next_cmd(state, person, limit, fmt):
    """The skills that unlock the most job postings per hour of learning.

    Each skill counts with its unmet prerequisites ("learns"). "unlocks" are
    the postings that become fully met; "gap removed" is how many hours it
    takes off the plans of all postings together.

    Example:

    \b
        careergraph next --limit 5
    """
    from careergraph.graph.ranking import next_skills

    result = next_skills(state.kg, person=person, limit=limit)
    if fmt == "json":
        echo_json(result.as_dict())
        return
    if not result.skills:
        click.echo(f"{result.person.label} already meets every posting's essential requirements.")
        return
    unpriced = any(s.unpriced for s in result.skills)
    rows = [(i, s.skill.label, _h(s.hours), *([s.unpriced or ""] if unpriced else []), _names(s.bundle),
             _names(s.unlocks) or "-", _h(s.hours_removed)) for i, s in enumerate(result.skills, start=1)]
    click.echo(table(["#", "skill", "hours", *(["unpriced"] if unpriced else []), "learns", "unlocks",
                      "gap removed"], rows))
    if unpriced:
        click.echo("unpriced: skills to learn that have no effort hours in the data (not in the hours); "
                   "rows with fewer come first")


@cli.command("explain")
@click.argument("source", metavar="A")
@click.argument("target", metavar="B")
@format_option("text", "json", default="text")
@pass_state
@handle_errors
def explain_cmd(state, source, target, fmt):
    """The shortest chain of relations between two entities (any kind).

    Arrows follow the direction of each triple: "A --rel--> B" means A rel B.
    Exits 1 when the two are not connected.

    Example:

    \b
        careergraph explain "Seed author" "MTProto Gateway"
    """
    from careergraph.graph.explain import explain

    result = explain(state.kg, source, target)
    if fmt == "json":
        echo_json(result.as_dict())
        return
    click.echo(result.chain)


@cli.command("demand")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Show only the first N skills (the total is still counted; fast on 100k postings).")
@click.option("--centrality", type=click.Choice(["auto", "full", "listed", "none"]), default="auto",
              show_default=True,
              help="Betweenness and clusters on the whole co-occurrence graph (full; hours at 100k postings), "
                   "on the listed skills' co-occurrence graph (listed), or not at all (none). auto: full up to "
                   "500 postings; above, listed for at most 100 listed skills, else none.")
@click.option("--show-postings", type=click.IntRange(min=0), default=None, metavar="N",
              help="List at most N postings per skill in JSON (default: all up to 500 postings, else 5). "
                   "The counts always cover every posting.")
@format_option("table", "json")
@pass_state
@handle_errors
def demand_cmd(state, limit, centrality, show_postings, fmt):
    """Skills ranked by how many job postings require them, with centrality and clusters.

    Betweenness is measured on the skill co-occurrence graph (two skills are
    linked when a posting requires both); clusters are its Louvain
    communities (fixed seed, so the answer is stable). Above 500 postings the
    counts come from the compiled index, and both are computed on the
    co-occurrence graph of the listed skills only (see --centrality); a note
    says so.

    Example:

    \b
        careergraph demand --format json
        careergraph --store ~/careers demand --limit 20
    """
    from careergraph.graph.demand import INDEX_THRESHOLD, demand

    if show_postings is None:  # the table shows counts only: no posting needs naming
        show_postings = "auto" if fmt == "json" else 0
    result = demand(state.kg, limit=limit, centrality=centrality, show_postings=show_postings)
    if fmt == "json":
        echo_json(result.as_dict())
        return
    rows = [(s.skill.label, s.required, s.preferred, "-" if s.betweenness is None else f"{s.betweenness:.3f}",
             "" if s.community is None else s.community + 1) for s in result.skills]
    click.echo(table(["skill", "postings", "preferred", "betweenness", "cluster"], rows))
    click.echo()
    for i, c in enumerate(result.communities, start=1):
        click.echo(f"Cluster {i}: {_names(c)}")
    if len(result.skills) < result.total:
        click.echo(f"Showing the first {len(result.skills)} of {result.total} skills in demand.")
    if result.centrality == "listed":
        why = (f"{result.postings} postings, above {INDEX_THRESHOLD}; " if result.postings > INDEX_THRESHOLD
               else "")
        click.echo(f"Betweenness and clusters: on the co-occurrence graph of the {len(result.skills)} listed "
                   f"skills only ({why}--centrality full for the whole graph).")
    elif result.centrality == "none":
        click.echo("Betweenness and clusters: not computed (--centrality listed with a smaller --limit, "
                   "or --centrality full for the whole graph).")
