"""Render results for the terminal: aligned tables and JSON."""

from __future__ import annotations

import click

__all__ = ["table", "echo_json"]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split()) if "\n" in text or "\t" in text else text


def table(headers, rows, *, width=None) -> str:
    """A plain-text table sized to the terminal (long cells shortened with '…'), or to ``width``.

    When standard output is not a terminal (a pipe, a file) and no width is
    given, nothing is shortened: what a script reads is whole.
    """
    rows = [[_cell(v) for v in row] for row in rows]
    headers = [str(h) for h in headers]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    import shutil  # here, not at import: `careergraph --help` stays fast

    if width is None and not click.get_text_stream("stdout").isatty():
        total = sum(widths) + 2 * (len(widths) - 1)  # whole cells
    else:
        total = width or shutil.get_terminal_size((120, 24)).columns
    gap = 2
    while sum(widths) + gap * (len(widths) - 1) > total and max(widths) > 8:
        widest = widths.index(max(widths))
        widths[widest] -= 1

    def fit(v, w):
        return v if len(v) <= w else v[: max(w - 1, 0)] + "…"

    lines = ["  ".join(fit(h, w).ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        lines.append("  ".join(fit(v, w).ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def echo_json(data) -> None:
    """Print ``data`` as indented JSON (UTF-8, not escaped)."""
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))
