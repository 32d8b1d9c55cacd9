"""The wheel holds every module and data file, and the migrations form one linear chain.

Packages are discovered (pyproject `[tool.setuptools.packages.find]`), so a new feature package
ships without anyone remembering to list it; this test is what proves it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from alembic.script import ScriptDirectory

from db.migrate import alembic_config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("bot", "cogs", "db")
DATA_SUFFIXES = {".toml", ".mako", ".j2", ".html", ".css"}
# Migrations written before the chain became linear: 0001 branched into 0002 and 0003,
# and 0005 merged them. From 0005 on, each migration follows the one before.
HISTORICAL_BRANCH_POINTS = {"0001"}
HISTORICAL_MERGES = {"0005"}


def source_files() -> set[str]:
    found = set()
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or path.suffix in DATA_SUFFIXES:
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path):
    # Built from a copy, so a stale build/ folder in the checkout can't hide a missing package.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for top in SHIPPED:
        shutil.copytree(ROOT / top, source / top, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), "."],
        cwd=source,
        check=True,
    )
    (wheel,) = out.glob("partnerbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    expected = source_files()
    assert {"bot/prompts/library.toml", "db/migrations/script.py.mako"} <= expected
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks: {missing}"
    assert not any(n.startswith("tests/") for n in names), "tests must not ship in the wheel"
    assert "partnerbot = bot.__main__:main" in scripts


def test_migrations_have_exactly_one_head_and_stay_linear():
    script = ScriptDirectory.from_config(alembic_config(""))
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations must form one chain; heads: {heads}"
    children: dict[str, list[str]] = {}
    for revision in script.walk_revisions():
        parents = revision.down_revision
        if isinstance(parents, tuple | list):
            assert revision.revision in HISTORICAL_MERGES, (
                f"{revision.revision} merges branches; make its down_revision the current head"
            )
            parents = list(parents)
        else:
            parents = [parents] if parents else []
        for parent in parents:
            children.setdefault(parent, []).append(revision.revision)
    branching = {p for p, c in children.items() if len(c) > 1}
    assert branching <= HISTORICAL_BRANCH_POINTS, (
        f"these revisions have more than one child: {sorted(branching - HISTORICAL_BRANCH_POINTS)}"
    )
