"""careergraph's exception tree: every library error is a CareerGraphError."""

__all__ = [
    "CareerGraphError",
    "InvalidDataError",
    "CycleError",
    "UnknownEntityError",
    "AmbiguousEntityError",
    "UsageError",
    "QueryError",
    "QueryTimeoutError",
    "NoPathError",
    "UnmatchedNamesError",
    "EndpointError",
    "ViewTooBigError",
]


class CareerGraphError(Exception):
    """Base class of every error careergraph raises on purpose.

    ``exit_code`` is the command-line exit status the CLI uses for it:
    1 for data and domain errors, 2 for usage errors (bad names, bad
    parameters), 3 for timeouts, 4 when a SPARQL endpoint fails.
    """

    exit_code = 1


class InvalidDataError(CareerGraphError):
    """A data file cannot be read, parsed or accepted.

    ``path`` and ``line`` name the culprit where they are known.
    """

    def __init__(self, message, *, path=None, line=None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class CycleError(InvalidDataError):
    """A relation that must be acyclic (prerequisites, skos:broader) has a cycle.

    ``cycle`` is the list of nodes in order, first repeated last.
    """

    def __init__(self, message, *, cycle, path=None):
        self.cycle = list(cycle)
        super().__init__(message, path=path)


class UsageError(CareerGraphError):
    """The caller asked for something malformed (an unknown option value, a bad parameter)."""

    exit_code = 2


class UnknownEntityError(UsageError, LookupError):
    """No entity matches a name; ``suggestions`` holds the closest labels."""

    def __init__(self, name, suggestions=(), *, kind=None):
        self.name = name
        self.kind = kind
        self.suggestions = list(suggestions)
        what = kind or "entity"
        msg = f"unknown {what} {name!r}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions) + "?"
        super().__init__(msg)


class AmbiguousEntityError(UsageError, LookupError):
    """A name matches several entities; ``candidates`` lists them as (CURIE, label)."""

    #: How many candidates the message lists (``candidates`` keeps them all).
    SHOWN = 10

    def __init__(self, name, candidates):
        self.name = name
        self.candidates = list(candidates)
        listed = "; ".join(f"{curie} ({label})" for curie, label in self.candidates[:self.SHOWN])
        more = len(self.candidates) - self.SHOWN
        if more > 0:
            listed += f"; and {more:,} more"
        super().__init__(f"{name!r} is ambiguous: it names {listed}. Use one of these identifiers.")


class QueryError(CareerGraphError):
    """A SPARQL query is malformed, refused, or failed to run."""


class QueryTimeoutError(QueryError):
    """A query ran past its time limit and was stopped."""

    exit_code = 3


class NoPathError(CareerGraphError):
    """No learning path reaches the target."""


class UnmatchedNamesError(InvalidDataError):
    """An imported file names things (skills) the graph does not know.

    ``unmatched`` lists ``(name, line, suggestions)`` for every one of them,
    so one error reports them all.
    """

    def __init__(self, message, *, unmatched, path=None):
        self.unmatched = list(unmatched)
        super().__init__(message, path=path)


class EndpointError(CareerGraphError):
    """A SPARQL endpoint cannot be reached, fails (HTTP error), or does not answer in SPARQL.

    The message names the endpoint's URL. A query the server runs past its
    time limit is a :class:`QueryTimeoutError` instead, as on every backend.
    """

    exit_code = 4


class ViewTooBigError(UsageError):
    """A view (``viz``) or an export would have more nodes than its limit; ``nodes`` is how many (at least)."""

    def __init__(self, message, *, nodes: int):
        self.nodes = nodes
        super().__init__(message)
