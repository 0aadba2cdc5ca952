"""Shared click options and the context object every command reads."""

from __future__ import annotations

import functools

import click

__all__ = ["State", "pass_state", "format_option", "handle_errors", "CliError"]


class State:
    """What the global options chose; the knowledge graph loads on first use."""

    def __init__(self, data=(), store=None, endpoint=None, *, writes: bool = True, wait: float = 0):
        self.data = list(data)
        self.store = store
        self.endpoint = endpoint
        self.wait = wait  # seconds to wait for a workspace another process holds
        self.writes = writes  # False: the command only reads, and the workspace opens read-only
        self._kg = None
        self._query_kg = None
        self._workspace = None

    def close(self):
        """Release the workspace store so the next command (or process) can open it."""
        if self._workspace is not None:
            self._kg = None
            self._workspace.close()  # detaches the store from every knowledge graph it made
            self._workspace = None

    @property
    def workspace(self):
        """The open workspace named by --store (a usage error without one)."""
        if self._workspace is None:
            from careergraph.graph.errors import UsageError
            from careergraph.graph.workspace import open_workspace

            if self.store is None:
                raise UsageError("this command needs a workspace: give --store DIR "
                                 "(create one with `careergraph init DIR`)")
            def waiting():
                click.echo(f"waiting up to {self.wait:g} s for another careergraph process to finish "
                           f"with {self.store}...", err=True)

            self._workspace = open_workspace(self.store, read_only=not self.writes, wait=self.wait,
                                             on_wait=waiting)
        return self._workspace

    @property
    def query_kg(self):
        """The graph to run named queries on: the bundled data in Oxigraph when no option chose another.

        Without --data, --store and --endpoint the named query runs in an
        in-memory Oxigraph store (:func:`careergraph.graph.sparql.query_graph`),
        which loads and answers in milliseconds (where fork exists, so the
        time limit holds as on rdflib); otherwise it is :attr:`kg`.
        """
        if self.data or self.store is not None or self.endpoint:
            return self.kg
        if self._query_kg is None:
            from careergraph.graph.sparql import START_METHOD, query_graph

            if START_METHOD != "fork":  # Oxigraph enforces --timeout only in a forked child
                return self.kg
            self._query_kg = query_graph()
        return self._query_kg

    @property
    def kg(self):
        if self._kg is None:
            if self.endpoint:
                from careergraph.graph.endpoint import connect

                self._kg = connect(self.endpoint)
            elif self.store is not None:
                if self.data:
                    from careergraph.graph.errors import UsageError

                    raise UsageError("--data and --store do not mix: add files to the workspace with "
                                     "`careergraph --store DIR add FILE`")
                self._kg = self.workspace.knowledge_graph()
            else:
                import gc

                from careergraph.graph import load

                self._kg = load(*self.data)
                # The loaded graph lives as long as the command: keep the collector from
                # re-scanning its millions of objects (measured: 1.95 s pauses on M).
                gc.freeze()
        return self._kg


pass_state = click.make_pass_decorator(State, ensure=True)


def format_option(*choices, default="table"):
    """``--format`` with the given choices."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
        help="Output format.",
    )


#: The exit code after Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED = 130


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
        except KeyboardInterrupt:  # Ctrl-C: what a change had done is undone (or at the next open)
            raise CliError("interrupted", INTERRUPTED) from None

    return wrapper
