"""The command line's data commands: `partnerbot export`, `partnerbot import` and
`partnerbot demo`. Each migrates its database first and says what it did in one line, or why it
could not, with a non-zero exit code and nothing written."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from bot import heap
from bot.cli_database import upgrade_database
from bot.config import Settings

log = logging.getLogger("partnerbot")

FORMATS = ("markdown", "html", "csv", "json")
BINARY_FORMATS = frozenset({"csv"})  # a zip: never written to a terminal


def add_export_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="export a partnership's record to a file",
        description=(
            "Export one partnership's record (membership, goals, decisions, actions, meetings, "
            "trust, reflections, the log) as Markdown minutes, an HTML report, a zip of CSVs "
            "or JSON. Writes to FILE, or to standard output. The export is recorded in the "
            "partnership's export audit. Runs the database migrations first."
        ),
    )
    export.add_argument("--guild", type=int, metavar="ID", required=True, help="the server's id")
    export.add_argument(
        "--partnership", metavar="NAME", required=True, help="the partnership's name"
    )
    export.add_argument("--format", choices=FORMATS, required=True, help="the file's format")
    export.add_argument(
        "--audience",
        choices=("internal", "external"),
        default="internal",
        help="internal (default): everything a member may see; external: for boards, funders "
        "and residents, naming no person",
    )
    export.add_argument("--since", metavar="YYYY-MM-DD", help="the period's first day")
    export.add_argument("--until", metavar="YYYY-MM-DD", help="the period's last day")
    export.add_argument(
        "--meeting", metavar="N", help="one meeting's minutes: its number, or its exact title"
    )
    export.add_argument(
        "--pseudonymise",
        action="store_true",
        help="research export: stable pseudonyms for people and organisations, no Discord ids, "
        "no free text (needs the partnership's research consent)",
    )
    export.add_argument(
        "--keep-text",
        action="store_true",
        help="with --pseudonymise: keep free text (names in it replaced by pseudonyms)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")


async def import_export(settings: Settings, path: Path, guild_id: int) -> int:
    from datetime import UTC, datetime

    from bot.services.export.importer import (
        ImportRefused,
        check_opening,
        import_document,
        read_opening,
    )
    from db.engine import create_engine, create_session_factory

    try:  # a file that can't be imported is refused before the database is touched
        check_opening(read_opening(path), path.name)
    except ImportRefused as exc:
        print(f"partnerbot: {exc.message}", file=sys.stderr)
        return 1
    url = settings.effective_database_url
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the summary is the output
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        result = await import_document(
            create_session_factory(engine), path, guild_id, now=datetime.now(UTC)
        )
    except ImportRefused as exc:
        print(f"partnerbot: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print("\n".join(result.lines()))
    return 0


DEMO_DB = "demo.db"
DEMO_REPORT = "demo-report.html"


async def demo(settings: Settings, output: Path | None) -> int:
    """Build the demo partnership in its own SQLite file and write its report.

    The file is `DATA_DIR/demo.db`, deleted and made again on every run; `DATABASE_URL` is never
    read, so the bot's own database cannot be touched.
    """
    from bot.demo import DemoClock, build_demo
    from bot.demo.report import write_report
    from db.engine import create_engine, create_session_factory

    path = (settings.data_dir / DEMO_DB).resolve()
    out = (output or settings.data_dir / DEMO_REPORT).resolve()
    print(
        f"Making the demo database afresh at {path} "
        "(it is rebuilt on every run; DATABASE_URL is not used)."
    )
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    except OSError as exc:
        print(f"partnerbot: cannot make {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        clock = DemoClock()
        sessions = create_session_factory(engine)
        partnership = await build_demo(sessions, clock)
        try:
            written = await write_report(sessions, clock, partnership, out)
        except OSError as exc:
            print(
                f"partnerbot: cannot write the report to {out}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 1
    finally:
        await engine.dispose()
    print(f"Wrote the demo report to {written}; open it in a web browser.")
    print(partnership.describe())
    return 0


class CommandError(Exception):
    """Bad input to a command: the message is one line for stderr."""


def _date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"{option} should be a date written YYYY-MM-DD, such as 2026-03-31."
        ) from None


def _export_request(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bot.services.export.document import Audience, Format
    from bot.services.export.service import ExportRequest

    if args.keep_text and not args.pseudonymise:
        raise CommandError("--keep-text applies only with --pseudonymise.")
    meeting: int | str | None = None
    if args.meeting is not None:
        text = args.meeting.strip().lstrip("#")
        meeting = int(text) if text.isascii() and text.isdigit() else args.meeting
    return ExportRequest(
        format=Format(args.format),
        audience=Audience(args.audience),
        since=_date_option(args.since, "--since"),
        until=_date_option(args.until, "--until"),
        meeting=meeting,
        pseudonymise=args.pseudonymise,
        keep_text=args.keep_text,
    )


def _check_output(args: argparse.Namespace) -> None:
    """Where the file goes, checked before anything is exported."""
    if args.output is None:
        if args.format in BINARY_FORMATS and sys.stdout.isatty():
            raise CommandError(
                f"A {args.format} export is a zip file: write it with -o FILE, or redirect "
                "standard output to a file."
            )
        return
    target = Path(args.output)
    if target.is_dir() or not target.parent.is_dir():
        raise CommandError(f"cannot write {args.output}: give a file in a folder that exists.")


async def export(settings: Settings, args: argparse.Namespace) -> int:
    """`partnerbot export`: the file goes to a temporary file first, then to FILE (moved in
    whole) or standard output, so a failure leaves nothing behind."""
    from bot.errors import UserFacingError
    from bot.services.clock import SystemClock
    from bot.services.export.service import ExportService
    from db.engine import create_engine, create_session_factory

    try:
        request = _export_request(args)
        _check_output(args)
    except CommandError as exc:
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 1
    url = settings.effective_database_url
    # The file may go to standard output and errors are one line: migrations run quietly.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        service = ExportService(create_session_factory(engine), clock=SystemClock())
        heap.settle()  # everything but the export itself is built
        result = await service.export_as_operator(args.guild, args.partnership, request)
    except UserFacingError as exc:
        print(f"partnerbot: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:  # the temporary file could not be written
        print(f"partnerbot: cannot write the export: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    try:
        if args.output is None:
            with result.path.open("rb") as source:
                shutil.copyfileobj(source, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return 0
        _place(result.path, Path(args.output))
    except OSError as exc:
        print(
            f"partnerbot: cannot write {args.output or 'to standard output'}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        result.path.unlink(missing_ok=True)
    withheld = f", {result.withheld} aggregates withheld" if result.withheld else ""
    print(f"Exported {result.partnership} to {args.output} ({result.size} bytes{withheld}).")
    return 0


def _place(source: Path, target: Path) -> None:
    """Move a finished file to `target` in one step: copied beside it under a temporary name,
    then renamed over it, so `target` is either the whole file or untouched."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
