"""The README and docs/ against the code: the paths they name exist, and the host-site test
that docs/testing.md shows passes as printed.

`make docs` checks the links between pages (mkdocs build --strict); these tests check what a
link checker cannot: the repository files and modules the pages name in code spans.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
# A repository path in a code span: a top-level folder of this repository, then a path.
REPO_PATH = re.compile(r"`((?:tiktok_mobile_auth|cms_site|tests|bench|scripts|docs)/[\w./-]*)")
# A dotted name in the plugin: tiktok_mobile_auth.signin.adapter.DefaultAccountAdapter.
DOTTED = re.compile(r"`(tiktok_mobile_auth(?:\.[A-Za-z_]\w*)+)`")
CHECK_ID = re.compile(r"\.[WE]\d{3}$")  # system check ids look dotted too


def named_paths(page: Path) -> set[str]:
    return {match.rstrip(".,") for match in REPO_PATH.findall(page.read_text())}


def named_objects(page: Path) -> set[str]:
    names = set(DOTTED.findall(page.read_text()))
    # Audit-log action names (tiktok_mobile_auth.settings.edit) are not importable names.
    return {name for name in names if not CHECK_ID.search(name) and not name.endswith(".edit")}


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or an attribute of one."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_repository_path_a_page_names_exists(page):
    missing = sorted(path for path in named_paths(page) if not (ROOT / path).exists())

    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_plugin_name_a_page_gives_can_be_imported(page):
    unresolved = sorted(name for name in named_objects(page) if not resolves(name))

    assert unresolved == []


def test_the_readme_stays_a_few_screens():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_the_host_site_test_in_docs_testing_passes_as_printed(tmp_path):
    """The example runs as a host site's suite would: its own file, no conftest of ours."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "testing.md").read_text(), re.S)
    (example,) = [block for block in blocks if "def test_" in block]
    (tmp_path / "test_host_site.py").write_text(example)
    # On SQLite and a local cache, whichever services this run has: the child must not
    # create the same test database as the run that started it.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}

    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("--rootdir", ROOT, "-c", ROOT / "pyproject.toml", tmp_path / "test_host_site.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
