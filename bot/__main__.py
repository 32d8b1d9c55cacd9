"""The `partnerbot` command line: run, db upgrade, sync, check, export, import, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("partnerbot")


class RedactSecrets(logging.Filter):
    """Keep interaction and webhook tokens out of the log, whatever the level.

    At DEBUG, discord.py logs every gateway event (an interaction carries its token) and every
    REST URL (an interaction's callback and follow-ups carry it in the path). Anyone holding
    such a token can answer as the bot for fifteen minutes.
    """

    PATTERNS = (
        (re.compile(r"(/interactions/\d+/)[^/\s'\"]+"), r"\1[token]"),
        (re.compile(r"(/webhooks/\d+/)[^/\s'\"?]+"), r"\1[token]"),
        (re.compile(r"""(['"]token['"]\s*:\s*['"])[^'"]*"""), r"\1[token]"),
        (re.compile(r"(Bot )[A-Za-z0-9._-]{20,}"), r"\1[token]"),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern, replacement in self.PATTERNS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-8s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())
    logging.getLogger("discord.http").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partnerbot",
        description="Partnerbot: helps partnerships of public bodies, voluntary organisations "
        "and citizens run their collaboration well, inside Discord.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser(
        "run",
        help="upgrade the database, then start the bot",
        description=(
            "Upgrade the database to the latest schema, then connect to Discord and serve. "
            "With DEV_GUILD_ID set, commands are synced to that server at start."
        ),
    )
    db = sub.add_parser("db", help="database commands", description="Database commands.")
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_sub.add_parser(
        "upgrade",
        help="apply all migrations",
        description=("Apply every migration to DATABASE_URL (or the default SQLite file)."),
    )
    sync = sub.add_parser(
        "sync",
        help="register the slash commands with Discord",
        description=(
            "Register the slash commands with Discord: globally (may take an hour to appear), "
            "or, with --guild, in one server at once."
        ),
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="sync to this server only")
    sub.add_parser(
        "check",
        help="validate the configuration and database",
        description=(
            "Check the configuration and the database and print a summary. "
            "Exits non-zero when something needs fixing."
        ),
    )
    demo = sub.add_parser(
        "demo",
        help="build a fictional partnership's year and write its HTML report (no Discord)",
        description=(
            "Fill a demo database (DATA_DIR/demo.db, made afresh on every run) with a fictional "
            "partnership's year, through the same services the bot uses, and write its HTML "
            "report. Needs no Discord token and never touches DATABASE_URL."
        ),
    )
    demo.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write the report (default: DATA_DIR/demo-report.html)",
    )
    imp = sub.add_parser(
        "import",
        help="load a partnership from a JSON export into a server",
        description=(
            "Upgrade the database, then load the partnership in FILE (an internal JSON export) "
            "into the server --guild, all or nothing. Refuses a partnership whose name the "
            "server already uses. Its schedules arrive paused; it has no channel there yet."
        ),
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the JSON export")
    imp.add_argument(
        "--guild", type=int, metavar="ID", required=True, help="the server to import into"
    )
    add_export_parser(sub)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        if args.command == "run":
            return asyncio.run(run(settings))
        if args.command == "db":
            return asyncio.run(db_upgrade(settings))
        if args.command == "sync":
            return asyncio.run(sync(settings, args.guild))
        if args.command == "check":
            return asyncio.run(check(settings))
        if args.command == "demo":
            return asyncio.run(demo(settings, args.output))
        if args.command == "import":
            return asyncio.run(import_export(settings, args.file, args.guild))
        if args.command == "export":
            return asyncio.run(export(settings, args))
    except ConfigError as exc:
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except DatabaseUnavailable as exc:
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse requires a command


class DatabaseUnavailable(Exception):
    """The database could not be opened or upgraded; the message is one line."""


async def upgrade_database(url: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from db.migrate import upgrade

    try:
        await upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseUnavailable(
            f"Cannot open or upgrade the database at {safe_url(url)}: {reason}"
        ) from None


async def db_upgrade(settings: Settings) -> int:
    url = settings.effective_database_url
    await upgrade_database(url)
    print(f"Database is up to date: {safe_url(url)}")
    return 0


def _build_bot(settings: Settings, *, start_background: bool):  # type: ignore[no-untyped-def]
    from bot.app import PartnerBot, apply_api_base
    from db.engine import create_engine, create_session_factory

    apply_api_base(settings.discord_api_base_url)
    engine = create_engine(settings.effective_database_url)
    bot = PartnerBot(
        settings=settings,
        sessions=create_session_factory(engine),
        start_background=start_background,
    )
    return bot, engine


async def run(settings: Settings) -> int:
    import discord

    token = settings.require_token()
    url = settings.effective_database_url
    log.info("Upgrading the database at %s", safe_url(url))
    await upgrade_database(url)
    bot, engine = _build_bot(settings, start_background=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Stop cleanly: close the gateway, the schedule engine and the database.
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        print("partnerbot: Discord refused the token: check DISCORD_TOKEN.", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    return 0


async def sync(settings: Settings, guild_id: int | None) -> int:
    import discord

    token = settings.require_token()
    bot, engine = _build_bot(settings, start_background=False)
    try:
        async with bot:
            await bot.login(token)  # runs setup_hook, which loads every command
            if guild_id:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                print(f"Synced {len(synced)} commands to server {guild_id}.")
            else:
                synced = await bot.tree.sync()
                print(f"Synced {len(synced)} global commands (they may take a while to appear).")
    except discord.LoginFailure:
        print("partnerbot: Discord refused the token: check DISCORD_TOKEN.", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    return 0


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


async def check(settings: Settings) -> int:
    from sqlalchemy import text

    from db.engine import create_engine
    from db.migrate import current_revisions, head_revisions

    problems: list[str] = []
    try:
        settings.require_token()
        token_line = "set"
    except ConfigError as exc:
        token_line = "MISSING"
        problems.append(str(exc))
    url = settings.effective_database_url
    lines = [
        f"Discord token:      {token_line}",
        f"Database:           {safe_url(url)}",
        f"Default time zone:  {settings.default_timezone}",
        f"Development server: {settings.dev_guild_id or '(none: commands sync globally)'}",
        f"Discord API root:   {settings.discord_api_base_url or '(Discord)'}",
        f"Log level:          {settings.log_level}",
    ]
    head = head_revisions()
    try:
        current = await current_revisions(url)
        schema = (
            "up to date"
            if current == head
            else f"at {', '.join(sorted(current)) or 'nothing'}, latest {', '.join(sorted(head))}"
        )
        if current != head:
            problems.append("The database needs upgrading: run `partnerbot db upgrade`.")
        else:
            engine = create_engine(url)
            try:
                async with engine.connect() as conn:
                    count = (await conn.execute(text("SELECT count(*) FROM partnership"))).scalar()
                schema += f" ({count} partnerships)"
            finally:
                await engine.dispose()
    except Exception as exc:  # any driver error: report it, do not crash
        schema = "unreachable"
        problems.append(f"Cannot open the database: {exc.__class__.__name__}: {exc}")
    lines.append(f"Database schema:    {schema}")
    print("\n".join(lines))
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


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


if __name__ == "__main__":
    sys.exit(main())
