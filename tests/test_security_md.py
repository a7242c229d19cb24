"""SECURITY.md names the tests that show each defence (`tests/...py::test_name`, and
`::test_name` for another test of the file named last): each one must exist, so that a
rename or a deletion cannot silently leave the threat model pointing at nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def references(text: str) -> list[tuple[str, str | None]]:
    """(path, test name or None) for every backticked test reference, in order."""
    found: list[tuple[str, str | None]] = []
    path = None
    for match in REFERENCE.finditer(text):
        named_path, name = match.groups()
        if named_path is None and name is None:
            continue
        path = named_path or path
        assert path is not None, f"`::{name}` before any test file is named"
        found.append((path, name))
    return found


def functions_in(path: Path) -> set[str]:
    """The names of the test functions a module defines (at top level or in a class)."""
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_the_reference_parser_reads_both_forms():
    text = "`tests/a.py::test_x`, `::test_y`; `tests/b.py` and `code`"
    assert references(text) == [
        ("tests/a.py", "test_x"),
        ("tests/a.py", "test_y"),
        ("tests/b.py", None),
    ]


def test_every_test_security_md_names_exists():
    found = references((ROOT / "SECURITY.md").read_text())
    assert len(found) > 20  # the threat model's table was read
    missing = []
    for path, name in found:
        module = ROOT / path
        if not module.is_file():
            missing.append(path)
        elif name is not None and name not in functions_in(module):
            missing.append(f"{path}::{name}")
    assert missing == []
