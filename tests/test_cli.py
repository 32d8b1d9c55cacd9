"""The `partnerbot` command line and configuration, as an operator meets them."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot.__main__ import main
from bot.app import apply_api_base
from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE"))}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("token", ["", "changeme"])
def test_run_without_a_real_token_exits_with_one_clear_line(tmp_path: Path, token: str):
    result = run_cli("run", env={"DISCORD_TOKEN": token, "DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_settings_exit_non_zero_without_traceback(tmp_path: Path):
    result = run_cli(
        "check", env={"DEFAULT_TIMEZONE": "Mars/Base", "DATA_DIR": str(tmp_path)}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "DEFAULT_TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_then_check_from_another_folder(tmp_path: Path):
    env = {"DISCORD_TOKEN": "a-real-looking-token", "DATA_DIR": str(tmp_path / "data")}
    upgraded = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "data" / "partnerbot.db").exists()
    checked = run_cli("check", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "up to date (0 partnerships)" in checked.stdout
    assert "a-real-looking-token" not in checked.stdout + checked.stderr


def test_check_reports_a_database_that_needs_upgrading(tmp_path: Path):
    env = {"DISCORD_TOKEN": "tok", "DATA_DIR": str(tmp_path)}
    result = run_cli("check", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "partnerbot db upgrade" in result.stderr


def test_help_everywhere(capsys):
    for args in (
        ["--help"],
        ["run", "--help"],
        ["db", "upgrade", "--help"],
        ["sync", "--help"],
        ["check", "--help"],
    ):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 0
    assert "--guild" in capsys.readouterr().out


def test_settings_defaults_and_validation(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("DISCORD_", "DATABASE_URL", "DEV_GUILD", "DEFAULT_TIMEZONE")):
            monkeypatch.delenv(key)
    settings = load_settings(data_dir=tmp_path / "d")
    assert settings.effective_database_url.endswith("/d/partnerbot.db")
    assert (tmp_path / "d").is_dir()
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        settings.require_token()
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings(log_level="loud")
    with pytest.raises(ConfigError, match="DISCORD_API_BASE_URL"):
        load_settings(discord_api_base_url="127.0.0.1:8080")
    assert load_settings(dev_guild_id="").dev_guild_id is None
    assert "hunter2" not in repr(Settings(discord_token="hunter2"))  # type: ignore[arg-type]


def test_api_base_url_redirects_every_route(monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    apply_api_base("http://127.0.0.1:9999/api/v10/")
    route = discord.http.Route("POST", "/interactions/{id}/{token}/callback", id=1, token="t")
    assert route.url == "http://127.0.0.1:9999/api/v10/interactions/1/t/callback"


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path):
    env = {
        "DISCORD_TOKEN": "tok",
        "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    }
    result = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Cannot open or upgrade the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_tokens_never_reach_the_log_even_at_debug():
    from bot.__main__ import RedactSecrets

    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQtdG9rZW4tdmFsdWU"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("discord.test_redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        event = {"t": "INTERACTION_CREATE", "d": {"id": "1", "token": token, "type": 2}}
        logger.debug("For Shard ID %s: WebSocket Event: %s", None, event)
        url = f"https://discord.com/api/v10/interactions/1234/{token}/callback"
        logger.debug("%s %s with %s has returned %s", "POST", url, None, 204)
        logger.debug("PATCH /webhooks/99/%s/messages/@original", token)
        logger.debug("Nothing secret in %s", "this line")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert token not in text
    assert text.count("[token]") == 3
    assert "Nothing secret in this line" in text


def test_configured_logging_redacts_on_every_handler(monkeypatch):
    from bot.__main__ import RedactSecrets, configure_logging

    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    monkeypatch.setattr(root, "handlers", [handler])
    configure_logging("DEBUG")
    assert any(isinstance(f, RedactSecrets) for f in handler.filters)
