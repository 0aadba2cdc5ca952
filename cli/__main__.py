"""Run the CLI as `python -m careergraph.cli`."""

from .main import main

main()
