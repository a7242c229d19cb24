"""``python scripts/check_wheel.py dist/*.whl``: the wheel holds the whole plugin.

Every file of ``tiktok_mobile_auth/`` that git tracks (code, migrations, templates,
``py.typed``, translation catalogues) must be in the wheel, nothing else but the
``.dist-info`` folder, the license file among it, and the version must be the package's.
Prints the listing; exits non-zero naming what is missing or extra.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tiktok_mobile_auth"


def tracked_files() -> set[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--", PACKAGE],  # noqa: S607 (git from PATH, as in any checkout)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {name for name in listing.stdout.splitlines() if (ROOT / name).is_file()}


def package_version() -> str:
    tree = ast.parse((ROOT / PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__version__"]:
            return ast.literal_eval(node.value)
    raise SystemExit(f"no __version__ in {PACKAGE}/__init__.py")


def problems(wheel: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    version = package_version()
    dist_info = f"{PACKAGE}-{version}.dist-info/"
    found: list[str] = []
    if not wheel.name.startswith(f"{PACKAGE}-{version}-"):
        found.append(f"the wheel is not version {version}: {wheel.name}")
    found += [f"missing: {name}" for name in sorted(tracked_files() - names)]
    extra = {name for name in names - tracked_files() if not name.startswith(dist_info)}
    found += [f"not a tracked file: {name}" for name in sorted(extra)]
    if f"{dist_info}licenses/LICENSE" not in names:
        found.append(f"missing: {dist_info}licenses/LICENSE")
    return found


def main(wheels: list[str]) -> int:
    if len(wheels) != 1:
        print("usage: check_wheel.py dist/<one>.whl", file=sys.stderr)
        return 2
    wheel = Path(wheels[0])
    names = sorted(zipfile.ZipFile(wheel).namelist())
    kinds = {"migrations/": 0, "templates/": 0, "locale/": 0, "py.typed": 0}
    for name in names:
        for kind in kinds:
            kinds[kind] += kind in name
    print(f"{wheel.name}: {len(names)} files; " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    found = problems(wheel)
    for problem in found:
        print(f"check_wheel: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
