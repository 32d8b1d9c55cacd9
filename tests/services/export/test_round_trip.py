"""Export → import → export gives the same JSON document up to ids and export time (issue 11,
"Done when"): the fixture partnership of `world.py`, hostile text, redactions, meetings, trust
rounds and all, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.services.export.document import Format
from bot.services.export.importer import import_document
from bot.services.export.service import ExportRequest, ExportService
from db.engine import SessionFactory
from tests.services.export.world import GUILD, NAME, build_world

NEW_GUILD = 2000
# Keys whose values are a row's id (or a list of them): they may differ, consistently.
ID_KEY = re.compile(r"^(id|.*_id|from_goal|to_goal|goal|action|meeting)$")
NUMBER = re.compile(r"#(\d+)")


Ids = dict[str, dict[int, int]]  # namespace (the key, or the list an "id" is in) → old → new


def pair_ids(a: Any, b: Any, ids: Ids, key: str = "", where: str = "", within: str = "") -> None:
    """Walk both documents together: the same shape, ids matched one to one per namespace."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a.keys() ^ b.keys())}"
        for k in a:
            pair_ids(a[k], b[k], ids, k, f"{where}.{k}", within)
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            pair_ids(x, y, ids, key, f"{where}[{i}]", key)
    elif key == "key" and isinstance(a, str) and a.isdecimal():  # an organisation's id
        space = ids.setdefault("organisation", {})
        assert space.setdefault(int(a), int(b)) == int(b), f"{where}: {a} vs {b}"
    elif isinstance(a, int) and not isinstance(a, bool) and ID_KEY.match(key):
        space = ids.setdefault(within if key == "id" else key, {})
        assert space.setdefault(a, b) == b, f"{where}: id {a} is {space[a]} elsewhere, {b} here"


def renumbered(old: int, new: int, ids: Ids) -> bool:
    """Whether a number a sentence names became `new`: a row's id became it, or the number
    names no row and stayed as it was."""
    spaces = [space for space in ids.values() if old in space]
    return any(space[old] == new for space in spaces) if spaces else old == new


def same_up_to_ids(a: Any, b: Any, ids: Ids, key: str = "", where: str = "") -> None:
    if isinstance(a, dict):
        for k in a:
            same_up_to_ids(a[k], b[k], ids, k, f"{where}.{k}")
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_up_to_ids(x, y, ids, key, f"{where}[{i}]")
    elif key == "key":
        return
    elif isinstance(a, str):
        # Sentences name records by number ("goal #12"): the same words, numbers renumbered.
        assert NUMBER.split(a)[::2] == NUMBER.split(b)[::2], f"{where}: {a!r} vs {b!r}"
        pairs = zip(NUMBER.findall(a), NUMBER.findall(b), strict=True)
        assert all(renumbered(int(o), int(n), ids) for o, n in pairs), f"{where}: {a!r} vs {b!r}"
    elif not (isinstance(a, int) and ID_KEY.match(key)):
        assert a == b, f"{where}: {a!r} vs {b!r}"


async def export_json(service: ExportService, guild: int, tmp_path: Path, name: str) -> Any:
    made = await service.export_as_operator(guild, NAME, ExportRequest(format=Format.json))
    target = tmp_path / name
    made.path.replace(target)
    return target, json.loads(target.read_bytes())


async def test_export_import_export_gives_the_same_document(sessions: SessionFactory, tmp_path):
    world = await build_world(sessions)
    service = ExportService(sessions, clock=world.clock)
    path, first = await export_json(service, GUILD, tmp_path, "first.json")
    assert first["importable"] is True and first["records"]
    await import_document(sessions, path, NEW_GUILD, now=world.clock.now())
    _, second = await export_json(service, NEW_GUILD, tmp_path, "second.json")

    ids: Ids = {}
    pair_ids(first, second, ids)
    assert any(old != new for space in ids.values() for old, new in space.items())
    for space, pairs in ids.items():
        assert len(set(pairs.values())) == len(pairs), f"two {space} became one"
    same_up_to_ids(first, second, ids)
