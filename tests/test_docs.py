"""The README's commands exist and its quick start is what CI runs."""

import re
from pathlib import Path

from careergraph.cli.main import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_quickstart_commands_are_marked():
    for tag, needle in (("main", "careergraph "), ("test", "pytest")):
        m = re.search(rf"<!-- quickstart:{tag} -->\n```bash\n(.+)\n", README)
        assert m, tag
        assert needle in m.group(1)


def test_every_command_in_the_reference_exists():
    named = set(re.findall(r"^\| `careergraph ([a-z-]+)", README, flags=re.M))
    assert named, "the README's command table is empty"
    assert named <= set(cli.commands), named - set(cli.commands)


def test_every_command_is_documented():
    documented = set(re.findall(r"`careergraph ([a-z-]+)", README))
    missing = set(cli.commands) - documented
    assert not missing, f"commands missing from the README: {sorted(missing)}"
