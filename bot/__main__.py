"""The `partnerbot` command line: run, db upgrade, sync, check, export, import, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli_data import add_export_parser, demo, export, import_export
from bot.cli_database import DatabaseUnavailable, safe_url, upgrade_database
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
    # APScheduler logs every job added and every run at INFO: thousands of lines at start and
    # during a burst of scheduled posts, each costing CPU. The engine logs what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.getLevelName(level), logging.WARNING))


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


async def db_upgrade(settings: Settings) -> int:
    url = settings.effective_database_url
    await upgrade_database(url)
    print(f"Database is up to date: {safe_url(url)}")
    return 0


def _build_bot(settings: Settings, *, start_background: bool):  # type: ignore[no-untyped-def]
    from bot.app import PartnerBot, apply_api_base
    from db.engine import create_engine, create_session_factory

    apply_api_base(settings.discord_api_base_url)
    engine = create_engine(
        settings.effective_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    bot = PartnerBot.for_settings(
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
        f"Shards:             {_shards_line(settings)}",
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


def _shards_line(settings: Settings) -> str:
    if settings.shard_count is None:
        return "(unsharded: every server)"
    ids = settings.shard_ids or list(range(settings.shard_count))
    return f"{', '.join(map(str, ids))} of {settings.shard_count}"


if __name__ == "__main__":
    sys.exit(main())
