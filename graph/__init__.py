"""careergraph's library: load a career knowledge graph and ask it questions.

Examples
--------
>>> from careergraph.graph import load
>>> kg = load()
>>> kg.label(kg.resolve("skill:dart"))
'Dart'
"""

from .errors import (
    AmbiguousEntityError,
    CareerGraphError,
    CycleError,
    InvalidDataError,
    NoPathError,
    QueryError,
    QueryTimeoutError,
    UnknownEntityError,
    UsageError,
)
from .models import Info, Problem, SourceInfo
from .store import KINDS, KnowledgeGraph, load
from .validate import validate

__all__ = [
    "AmbiguousEntityError",
    "CareerGraphError",
    "CycleError",
    "Info",
    "InvalidDataError",
    "KINDS",
    "KnowledgeGraph",
    "NoPathError",
    "Problem",
    "QueryError",
    "QueryTimeoutError",
    "SourceInfo",
    "UnknownEntityError",
    "UsageError",
    "load",
    "validate",
]
