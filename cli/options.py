"""Shared click options and the context object every command reads."""

from __future__ import annotations

import functools

import click

__all__ = ["State", "pass_state", "format_option", "handle_errors"]


class State:
    """What the global options chose; the knowledge graph loads on first use."""

    def __init__(self, data=()):
        self.data = list(data)
        self._kg = None

    @property
    def kg(self):
        if self._kg is None:
            from careergraph.graph import load

            self._kg = load(*self.data)
        return self._kg


pass_state = click.make_pass_decorator(State, ensure=True)


def format_option(*choices, default="table"):
    """``--format`` with the given choices."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
        help="Output format.",
    )


class CliError(click.ClickException):
    """A library error shown as one line, with the error's exit code."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def handle_errors(fn):
    """Turn careergraph's library errors into one-line messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from careergraph.graph.errors import CareerGraphError

        try:
            return fn(*args, **kwargs)
        except CareerGraphError as err:
            raise CliError(str(err), err.exit_code) from err

    return wrapper
