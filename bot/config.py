"""One settings object, read from the environment and `.env` when `main()` asks for it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")
PLACEHOLDER_TOKENS = {"", "changeme", "your-token-here", "replace-me", "placeholder"}


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the person starting the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    discord_token: SecretStr = Field(default=SecretStr(""))
    database_url: str = ""
    data_dir: Path = DEFAULT_DATA_DIR
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    default_timezone: str = "Europe/London"
    discord_api_base_url: str | None = None
    admin_role_name: str = "Partnerbot Admin"
    # 0 is valid: no catch-up after downtime (an occurrence still runs when it is due).
    prompt_grace_hours: float = Field(default=6.0, ge=0)
    # Sharding: run shards SHARD_IDS (all when unset) of SHARD_COUNT; unset runs unsharded.
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None
    # How often (seconds) each process re-reads schedules changed by another process.
    schedule_poll_seconds: float = Field(default=15.0, gt=0, le=60)
    # How often (seconds) each process looks for due timers (trust reminders and closes,
    # action reminders, goal nudges).
    timer_poll_seconds: float = Field(default=5.0, gt=0, le=60)
    # PostgreSQL connection pool, per process (SQLite ignores them).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)

    @field_validator("dev_guild_id", "discord_api_base_url", "shard_count", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, value: object) -> object:
        """`SHARD_IDS=0,2`: a comma-separated list (blank means every shard)."""
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return [int(part) for part in value.split(",") if part.strip()]
            except ValueError:
                raise ValueError(
                    "SHARD_IDS must be shard numbers separated by commas, e.g. 0,2"
                ) from None
        return value

    @model_validator(mode="after")
    def _shards(self) -> Settings:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
        if not self.shard_ids:
            raise ValueError("SHARD_IDS lists no shard")
        wrong = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if wrong:
            raise ValueError(
                f"SHARD_IDS must be between 0 and {self.shard_count - 1} (SHARD_COUNT - 1); "
                f"got {', '.join(map(str, wrong))}"
            )
        self.shard_ids = sorted(set(self.shard_ids))
        return self

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @field_validator("discord_api_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("DISCORD_API_BASE_URL must start with http:// or https://")
        return value

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or an SQLite file in the data folder (created on first use)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'partnerbot.db').resolve()}"

    def require_token(self) -> str:
        token = self.discord_token.get_secret_value().strip()
        if token.lower() in PLACEHOLDER_TOKENS:
            raise ConfigError(
                "DISCORD_TOKEN is missing or still the placeholder: set it in the environment "
                "or in .env (see .env.example)."
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable line."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Configuration problem: {problems}") from None
