"""The Examples sections of the library's docstrings run and pass (through the installed package)."""

import doctest
import importlib
import pkgutil

import pytest

import careergraph.graph
import careergraph.ontology
import careergraph.queries

MODULES = sorted(
    name
    for package in (careergraph.graph, careergraph.ontology, careergraph.queries)
    for name in [package.__name__] + [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_library_has_examples():
    finder = doctest.DocTestFinder()
    examples = sum(len(test.examples) for n in MODULES for test in finder.find(importlib.import_module(n)))
    assert examples >= 20
