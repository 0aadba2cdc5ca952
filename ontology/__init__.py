"""careergraph's ontology: the schema, the SHACL shapes and the bundled dataset."""

from importlib.resources import files
from pathlib import Path

from .namespace import BASE, CG, ESCO, ID_PREFIXES, PREFIXES, SCHEMA

__all__ = [
    "BASE",
    "CG",
    "ESCO",
    "ID_PREFIXES",
    "PREFIXES",
    "SCHEMA",
    "core_path",
    "shapes_path",
    "data_paths",
]


def _here():
    return files(__name__)


def core_path() -> Path:
    """The path of ``core.ttl``, the OWL/RDFS schema."""
    return Path(str(_here() / "core.ttl"))


def shapes_path() -> Path:
    """The path of ``shapes.ttl``, the SHACL shapes."""
    return Path(str(_here() / "shapes.ttl"))


def data_paths() -> list[Path]:
    """The bundled dataset's Turtle files, one per source, in a stable order."""
    folder = _here() / "data"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".ttl"))
