"""Read the seed document's lists straight from its Markdown, for the seed-fact tests.

The tests compare the bundled dataset with what this parser finds in the
seed text, so neither side is a hand-copied list of the other.
"""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "ontology" / "data" / "seed.txt"


def text() -> str:
    return SEED.read_text(encoding="utf-8")


def section(heading: str, level: int = 2) -> str:
    """The body of the section whose heading is ``heading`` (up to the next heading of that level or above)."""
    lines = text().splitlines()
    marker = "#" * level + " " + heading
    start = next(i for i, line in enumerate(lines) if line.strip() == marker)
    body = []
    for line in lines[start + 1:]:
        m = re.match(r"^(#+) ", line)
        if m and len(m.group(1)) <= level:
            break
        body.append(line)
    return "\n".join(body)


def subsections(body: str, level: int = 3) -> dict[str, str]:
    out, current = {}, None
    for line in body.splitlines():
        m = re.match(r"^(#+) (.*)$", line)
        if m and len(m.group(1)) == level:
            current = m.group(2).strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def bullets(body: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^\s*- (.+)$", body, flags=re.M)]


def bullets_under(heading: str) -> list[str]:
    """The list items of the ``### heading`` subsection, wherever it is."""
    return bullets(section(heading, level=3))


def components() -> dict[str, list[str]]:
    """{component name: [role, ...]} from "Components and roles"."""
    out, current = {}, None
    for line in section("Components and roles").splitlines():
        m = re.match(r"^- \*\*(.+)\*\*\s*$", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current and re.match(r"^\s+- (.+)$", line):
            out[current].append(line.strip()[2:].strip())
    return out


def described_roles() -> dict[str, str]:
    """{role name: responsibilities paragraph} from "Roles and responsibilities"."""
    out = {}
    for heading, body in subsections(section("Roles and responsibilities")).items():
        name = re.sub(r"^\d+\.\s*", "", heading)
        out[name] = " ".join(body.split())
    return out


def common_skills() -> dict[str, list[str]]:
    """{category: [bullet text, ...]} from "Common skills across roles"."""
    return {k: bullets(v) for k, v in subsections(section("Common skills across roles")).items()}


def profile() -> dict[str, list[str]]:
    """{"role": [...], "have": [...], "lack": [...]} from "My chosen role"."""
    subs = subsections(section("My chosen role"))
    return {
        "role": [line.strip() for line in subs["Role"].splitlines() if line.strip()],
        "have": bullets(subs["Skills I already have"]),
        "lack": bullets(subs["Skills I clearly lack"]),
    }


def postings() -> list[dict]:
    """Each analysed posting: title, company, url, key-skill lines."""
    body = subsections(section("Job market snapshot"))["Analyzed job postings"]
    out = []
    for block in re.split(r"^\d+\. ", body, flags=re.M)[1:]:
        head = re.match(r"\*\*(.+?)\*\* — (.+?)\s*$", block.splitlines()[0])
        url = re.search(r"\[Link\]\((.+?)\)", block).group(1)
        out.append({"title": head.group(1), "company": head.group(2), "url": url,
                    "key_skills": bullets(block.split("Key skills:", 1)[1])})
    return out


def niche() -> list[str]:
    return bullets(subsections(section("Job market snapshot"))["Skills specific to a single posting"])
