"""The version matrix: the test suite on every supported (Python, Django, Wagtail) combination.

``make matrix`` runs every session; ``nox -l`` lists them; ``nox -s edges`` runs only the
oldest and the newest combination (what ``.ci/run`` does). Arguments after ``--`` go to
pytest, e.g. ``nox -s "tests(python3.13-django6.1-wagtail8.0)" -- -k callback``.

Each session is a new virtualenv with the pinned requirements, except Django and Wagtail,
which take the latest release of the session's series; the plugin itself is installed from
this checkout, so pip also proves that its declared ranges accept the combination. The
suite runs on SQLite with local caches (``-m "not postgres and not redis"``): in ``tests``
all of it, integration and browser tests included (browser tests skip where Debian's
Chromium is absent), about 8 minutes a session; in ``edges`` the unit tests and one
integration module (a sign-in through gunicorn and the fake TikTok process), about 2
minutes, since CI runs the full suite on the pinned versions anyway.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox

ROOT = Path(__file__).parent

# Wagtail releases with the Django releases their own classifiers name. In support on
# 2026-12-06: 7.4 LTS and 8.0 (7.0 LTS left security support in November 2026). 7.4 is not
# supported yet: it lacks wagtail.actions and register_permission_policy (wagtail_hooks.py).
WAGTAIL_DJANGO = {
    "8.0": ("5.2", "6.0", "6.1"),
}
# Django 6.x needs Python 3.12+; 3.11 is the oldest Python this plugin supports.
DJANGO_PYTHON = {
    "5.2": ("3.11", "3.12", "3.13"),
    "6.0": ("3.12", "3.13"),
    "6.1": ("3.12", "3.13"),
}
COMBINATIONS = sorted(
    (
        (python, django, wagtail)
        for wagtail, djangos in WAGTAIL_DJANGO.items()
        for django in djangos
        for python in DJANGO_PYTHON[django]
    ),
    key=lambda combination: [tuple(map(int, v.split("."))) for v in combination],
)
EDGES = [COMBINATIONS[0], COMBINATIONS[-1]]
EDGE_TESTS = [
    "--ignore=tests/browser",
    *(
        f"--ignore={path.relative_to(ROOT)}"
        for path in sorted((ROOT / "tests" / "integration").glob("test_*.py"))
        if path.name != "test_sign_in_flow.py"
    ),
]

# Versions come from the session, the rest from the project's pins; nox is the runner's own.
UNPINNED = re.compile(r"^(django|wagtail|build|twine|nox)\s*[=<>~!]", re.IGNORECASE)

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True


def _prefer_pyenv_interpreters() -> None:
    """pyenv keeps 3.12 and 3.13 beside the system's Python without putting them on PATH
    (its shims refuse a version that is not selected): put their bin/ first for nox."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = [
        max(versions.glob(f"{python}.*/bin"), key=lambda p: int(p.parent.name.split(".")[2]))
        for python in sorted({python for python, _, _ in COMBINATIONS})
        if any(versions.glob(f"{python}.*/bin"))
    ]
    os.environ["PATH"] = os.pathsep.join([*map(str, found), os.environ.get("PATH", "")])


def pinned_requirements() -> list[str]:
    """Every pin of requirements.txt and requirements-dev.txt but the ones the session sets."""
    lines: list[str] = []
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            requirement = line.split("#", 1)[0].strip()
            if requirement and not requirement.startswith("-") and not UNPINNED.match(requirement):
                lines.append(requirement)
    return lines


def run_suite(session: nox.Session, django: str, wagtail: str, *pytest_args: str) -> None:
    session.install(*pinned_requirements(), f"Django=={django}.*", f"wagtail=={wagtail}.*", ".")
    session.run(
        "python", "-c", "import django, wagtail; print(django.__version__, wagtail.__version__)"
    )
    var = Path(session.create_tmp()) / "var"
    for service in ("DATABASE_URL", "REDIS_URL"):  # the matrix is the embedded defaults' run
        os.environ.pop(service, None)
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-m",
        "not postgres and not redis",
        *pytest_args,
        *session.posargs,
        env={"DJANGO_VAR_DIR": str(var)},
    )


def session_id(python: str, django: str, wagtail: str) -> str:
    return f"python{python}-django{django}-wagtail{wagtail}"


_prefer_pyenv_interpreters()


@nox.session
@nox.parametrize(
    "python,django,wagtail",
    [nox.param(*combination, id=session_id(*combination)) for combination in COMBINATIONS],
)
def tests(session: nox.Session, django: str, wagtail: str) -> None:
    """The suite on one supported combination."""
    run_suite(session, django, wagtail)


@nox.session
@nox.parametrize(
    "python,django,wagtail",
    [nox.param(*combination, id=session_id(*combination)) for combination in EDGES],
)
def edges(session: nox.Session, django: str, wagtail: str) -> None:
    """The oldest and the newest supported combination: what CI runs."""
    run_suite(session, django, wagtail, *EDGE_TESTS)
