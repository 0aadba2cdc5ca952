"""``careergraph import``, ``link`` and ``export``: bring your own data in, and take the graph out."""

from __future__ import annotations

import re
import sys

import click

from .main import cli
from .options import format_option, handle_errors, pass_state
from .output import echo_json, table

__all__ = ["import_group", "link_group", "export_cmd"]

_OUTPUT_HELP = ("Write the RDF here (atomically); the extension picks the format (.ttl, .nt, .jsonld...). "
                "Without it, --store DIR adds the result to the workspace atomically.")


def _deliver(state, write, output, source, replace=False):
    """Write the import's RDF to ``output``, or add it to the workspace given by --store.

    ``write(path)`` writes the RDF (atomically) to a path; into a workspace it
    goes through a temporary N-Triples file added atomically, so a failed
    or killed import leaves the workspace as it was. Returns where it went.
    """
    from pathlib import Path

    from careergraph.graph.errors import UsageError

    if output:
        write(output)
        return output
    if state.store is None:
        raise UsageError("give -o OUT to write a file, or --store DIR to add the result to a workspace")
    name = Path(source).name if source else "standard input"
    key = str(Path(source).resolve()) if source else f"(standard input) {name}"
    info = state.workspace.add_written(write, label=name, key=key, origin=source, replace=replace)
    return f"the workspace as {state.kg.curie(info.iri)}"


_store_options = [
    click.option("--replace", is_flag=True,
                 help="With --store: replace what an earlier import of the same file added."),
]


def store_options(fn):
    for option in reversed(_store_options):
        fn = option(fn)
    return fn


def file_import_options(fn):
    """FILE, -o/--output, --create-missing and --replace, then the state and error handling."""
    for decorator in reversed([
        click.argument("file", type=click.Path(dir_okay=False)),
        click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="OUT", help=_OUTPUT_HELP),
        click.option("--create-missing", is_flag=True,
                     help="Create skills the graph does not know instead of rejecting them."),
        store_options,
        pass_state,
        handle_errors,
    ]):
        fn = decorator(fn)
    return fn


def _warn(warnings) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(result, output, what: str, store=None, *, in_workspace=False) -> None:
    _warn(result.warnings)
    kg_curie = result.graph.namespace_manager
    parts = [_plural(len(result.entities), what)]
    if result.created_skills:
        names = ", ".join(sorted(iri.n3(kg_curie) for iri in result.created_skills))
        parts.append(f"{_plural(len(result.created_skills), 'new skill')} ({names})")
    if result.created_orgs:
        parts.append(_plural(len(result.created_orgs), "new organisation"))
    click.echo(f"wrote {', '.join(parts)} ({len(result.graph)} triples) to {output}")
    if in_workspace:
        return
    if store:
        click.echo(f"add it to the workspace with: careergraph --store {store} add {output}", err=True)
    else:
        click.echo(f"load it with: careergraph --data {output} info", err=True)


@cli.group("import")
def import_group():
    """Turn your own files (profiles, postings, job-ad text, ESCO) into RDF files.

    Each command reads one file, matches the names in it against the graph
    (the bundled data plus any --data files) and writes the result as an RDF
    file that you then load with --data. Nothing is written when the input
    has an error.

    Example:

        \b
        careergraph import profile me.yaml -o me.ttl
        careergraph --data me.ttl info
    """


@import_group.command("profile")
@file_import_options
def import_profile_cmd(state, file, output, create_missing, replace):
    """Import a profile (name, skills with optional levels, target role) from YAML or JSON.

    Skill names match labels and altLabels ignoring case, spacing and
    punctuation; unknown ones are listed with the closest names and the
    import stops, unless --create-missing adds them as new skills.

    Example:

        \b
        careergraph import profile me.yaml -o me.ttl
        careergraph import profile me.json -o me.ttl --create-missing
    """
    from pathlib import Path

    from careergraph.graph.import_profile import import_profile
    from careergraph.graph.importing import write_graph

    result = import_profile(state.kg, file, create_missing=create_missing)
    where = _deliver(state, lambda out: write_graph(result.graph, out, header=f"careergraph import profile "
                                                    f"{Path(file).name}"), output, file, replace)
    _summary(result, where, "person", state.store, in_workspace=output is None)


@import_group.command("postings")
@file_import_options
def import_postings_cmd(state, file, output, create_missing, replace):
    """Import job postings from CSV (title, company, seniority, url, skills split by ';'), YAML or JSON.

    Example:

        \b
        careergraph import postings jobs.csv -o jobs.ttl
        careergraph --data jobs.ttl info
    """
    from pathlib import Path

    from careergraph.graph.import_postings import import_postings
    from careergraph.graph.importing import write_graph

    result = import_postings(state.kg, file, create_missing=create_missing)
    where = _deliver(state, lambda out: write_graph(result.graph, out, header=f"careergraph import postings "
                                                    f"{Path(file).name}"), output, file, replace)
    _summary(result, where, "posting", state.store, in_workspace=output is None)


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    def flat(part):
        return re.sub(r"\s+", " ", part)

    return f"…{flat(text[max(0, start - width):start])}[{flat(text[start:end])}]{flat(text[end:end + width])}…"


@import_group.command("posting")
@click.option("--text", "text_file", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              metavar="FILE", help="The job ad as plain text ('-' reads standard input).")
@click.option("--title", help="The job title (default: the first line of the text).")
@click.option("--company", help="The hiring organisation (matched by name, or created).")
@click.option("--seniority", help="A seniority level of the graph, such as Senior.")
@click.option("--url", help="The link to the ad (http:// or https://).")
@click.option("--id", "id_", metavar="ID", help="The posting's identifier (default: from company and title).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="OUT", help=_OUTPUT_HELP)
@click.option("--dry-run", is_flag=True, help="Show the skills found and write nothing.")
@store_options
@pass_state
@handle_errors
def import_posting_cmd(state, text_file, title, company, seniority, url, id_, output, dry_run, replace):
    """Find the known skills in the text of a job ad and make it a posting.

    Prints every skill found with the span of text that names it (labels and
    altLabels on word boundaries, longest match first) before writing
    anything; check them, then load the result with --data.

    Example:

        \b
        careergraph import posting --text ad.txt --company Acme --seniority Senior --dry-run
        careergraph import posting --text ad.txt --company Acme -o ad.ttl
    """
    from pathlib import Path

    from careergraph.graph.errors import UsageError
    from careergraph.graph.import_text import import_posting_text
    from careergraph.graph.importing import read_text, write_graph

    if not output and not dry_run and state.store is None:
        raise UsageError("give -o OUT to write the posting (or --store DIR to add it to a workspace), "
                         "or --dry-run to only show the skills found")
    if text_file == "-":
        text, path = sys.stdin.read(), None
    else:
        path = Path(text_file)
        text = read_text(path)
    result = import_posting_text(state.kg, text, title=title, company=company, seniority=seniority,
                                 url=url, id=id_, path=path)
    for m in result.mentions:
        line = text.count("\n", 0, m.start) + 1
        col = m.start - (text.rfind("\n", 0, m.start) + 1) + 1
        click.echo(f"{line}:{col} [{m.start}-{m.end}] {state.kg.curie(m.skill)} ({m.label}): "
                   f"{_context(text, m.start, m.end)}")
    skills = {m.skill for m in result.mentions}
    if dry_run:
        click.echo(f"found {_plural(len(skills), 'skill')} in {_plural(len(result.mentions), 'place')}; "
                   "nothing written (--dry-run)", err=True)
        return
    header = "careergraph import posting --text " + (path.name if path else "(standard input)")
    where = _deliver(state, lambda out: write_graph(result.graph, out, header=header), output, path, replace)
    _summary(result, where, "posting", state.store, in_workspace=output is None)


def _occupations(ctx, param, values):
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return items or None


@import_group.command("esco")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write the RDF here (atomically). .nt is streamed and suits the whole of ESCO. "
                   "Without it, --store DIR adds the result to the workspace atomically.")
@click.option("--occupations", multiple=True, callback=_occupations, metavar="CODES|IRIS",
              help="Keep only these occupations: ISCO group codes (2512, or a prefix such as 25) "
                   "or occupation IRIs, comma-separated or repeated; their skills come along.")
@click.option("--language", default="en", show_default=True,
              help="The language of the download (the files' suffix, such as skills_en.csv).")
@format_option("table", "json")
@store_options
@pass_state
@handle_errors
def import_esco_cmd(state, folder, output, occupations, language, fmt, replace):
    """Import ESCO's CSV download: occupations as roles, skills, and the relations between them.

    Reads skills_en.csv, occupations_en.csv, occupationSkillRelations_en.csv,
    skillGroups_en.csv, broaderRelationsSkillPillar_en.csv and
    skillSkillRelations_en.csv by column name, keeps ESCO's IRIs and terms,
    and counts the rows that point at concepts the download does not have.
    Shows a progress bar on a terminal.

    Example:

        \b
        careergraph import esco ESCO-dataset-v1.2.0-csv -o esco.nt --occupations 2512,2514
        careergraph --data esco.nt info
    """
    from pathlib import Path

    from careergraph.graph.import_esco import NTriplesWriter, import_esco
    from careergraph.graph.importing import write_graph

    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label="reading ESCO",
                                    file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    outcome = {}

    def write(out):
        if Path(out).suffix.lower() == ".nt":
            with NTriplesWriter(out) as writer:
                outcome["result"] = import_esco(folder, occupations=occupations, language=language,
                                                progress=progress, graph=writer)
        else:
            outcome["result"] = import_esco(folder, occupations=occupations, language=language,
                                            progress=progress)
            write_graph(outcome["result"].graph, out)

    try:
        where = _deliver(state, write, output, folder, replace)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    result = outcome["result"]
    _warn(result.warnings)
    if result.missing_files:
        _warn([f"not in the folder, so not read: {', '.join(result.missing_files)}"])
    data = result.as_dict()
    if fmt == "json":
        echo_json(data)
        return
    rows = [(key.replace("_", " "), data[key]) for key in
            ("occupations", "skills", "skill_groups", "essential", "optional", "broader", "skill_relations")]
    rows += [(f"skipped ({name})", n) for name, n in sorted(result.skipped.items())]
    rows += [(f"filtered out ({name})", n) for name, n in sorted(result.filtered.items())]
    click.echo(table(["what", "count"], rows))
    click.echo(f"wrote {where}", err=True)


@cli.group("link")
def link_group():
    """Link the graph's skills to other taxonomies.

    Example:

        \b
        careergraph link esco esco.nt -o links.ttl
    """


@link_group.command("esco")
@click.argument("esco_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write the accepted links here (atomically); standard output by default.")
@click.option("--accept-all", is_flag=True, help="Accept every proposal without asking.")
@click.option("--cutoff", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="The lowest label similarity a close (not exact) match needs.")
@pass_state
@handle_errors
def link_esco_cmd(state, esco_file, output, accept_all, cutoff):
    """Propose skos:closeMatch links from your skills to ESCO skills with the same or a close label.

    ESCO_FILE is an RDF file of ESCO skills, such as the output of `careergraph
    import esco`; only its skills' labels are read, streamed, so the whole of
    ESCO takes seconds. Each proposal is shown with its score and asked about
    (exact matches default to yes), unless --accept-all.

    Example:

        \b
        careergraph link esco esco.nt --accept-all -o links.ttl
        careergraph --data esco.nt --data links.ttl info
    """
    from pathlib import Path

    from careergraph.graph.esco_links import link_esco, links_graph
    from careergraph.graph.importing import serialize, write_graph

    proposals = link_esco(state.kg, esco_file, cutoff=cutoff)
    if not proposals:
        click.echo("no links to propose", err=True)
    accepted = []
    for p in proposals:
        shown = (f"{p.skill_label} ({state.kg.curie(p.skill)}) -> {p.esco_label} <{p.esco_skill}> "
                 f"[{p.how}, {p.score:.2f}: {p.skill_form!r} ~ {p.esco_form!r}]")
        if accept_all:
            click.echo(shown, err=True)
            accepted.append(p)
        elif click.confirm(f"link {shown}?", default=p.how == "exact", err=True):
            accepted.append(p)
    graph = links_graph(accepted)
    header = f"careergraph link esco {Path(esco_file).name}: {len(accepted)} accepted link(s)"
    if output:
        write_graph(graph, output, header=header)
        click.echo(f"wrote {_plural(len(accepted), 'link')} to {output}", err=True)
    else:
        click.echo(serialize(graph, "turtle", header=header), nl=False)


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "jsonld", "trig", "graphml", "gexf"]),
              default="ttl", show_default=True, help="RDF (ttl, nt, jsonld, trig) or a graph file "
              "for Gephi/Cytoscape (graphml, gexf).")
@click.option("--focus", metavar="ENTITY", help="Export only this entity's neighbourhood (IRI, CURIE or label).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="How many links from --focus the neighbourhood reaches.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=50_000, show_default=True, metavar="N",
              help="Refuse a --focus neighbourhood of more nodes than this (whole exports have no limit).")
@click.option("--no-bundled", is_flag=True, help="Export only the --data files, not the bundled dataset.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write here (atomically); standard output by default.")
@pass_state
@handle_errors
def export_cmd(state, fmt, focus, depth, max_nodes, no_bundled, output):
    """Export the graph (bundled data and --data files) for other tools.

    ttl, nt and jsonld give the union of all sources; trig keeps one named
    graph per source; graphml and gexf give entities as nodes (label, type,
    iri) and links as edges, for Gephi, Cytoscape or yEd. A --focus
    neighbourhood over --max-nodes is refused at once (exit code 2), and
    nothing is written.

    Example:

        \b
        careergraph export --format graphml -o careergraph.graphml
        careergraph --data me.ttl export --format ttl --focus "Ada Lovelace" --depth 2
        careergraph export --format nt --focus skill:dart --depth 3 --max-nodes 200000 -o dart.nt
    """
    from careergraph.graph.export import export
    from careergraph.graph.importing import write_atomic

    text = export(state.kg, fmt, focus=focus, depth=depth, bundled=not no_bundled, max_nodes=max_nodes)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))
