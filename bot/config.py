"""Runtime configuration, read once at start-up from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = PROJECT_ROOT / "locales"
KNOWLEDGE_BASE_DIR = PROJECT_ROOT / "knowledge_base" / "data"
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "kelisim.sqlite3"

Language = Literal["kk", "ru"]
LANGUAGES: tuple[Language, ...] = ("kk", "ru")
# Bumped whenever the consent text changes materially; users are asked again.
CONSENT_VERSION = "2026-11"


def _id_list(value: object) -> object:
    """Accept ``ADMIN_IDS=1,2 3`` as well as a JSON list."""
    if isinstance(value, str):
        parts = value.replace(";", ",").replace(" ", ",").split(",")
        return [int(p) for p in parts if p.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Every setting (README.md and .env.example list them); durations are plain seconds so
    tests can shrink them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr = SecretStr("")
    telegram_api_url: str | None = None
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB_PATH}"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = None
    rasa_timeout: float = 3.0
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    curator_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    curator_chat_id: int | None = None
    survey_delay: int = 86_400
    sla_remind_after: int = 7_200
    retention_days: int = 365
    webhook_url: str | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: str | None = None
    # Several replicas: dialog state, per-user ordering, flood counters and change notices
    # shared through Redis (unset: one process keeps them in memory and the store).
    redis_url: str | None = None
    redis_prefix: str = "kelisim"
    # Off on webhook replicas when `kelisim worker` runs the scheduled work for all of them.
    scheduler: bool = True
    log_level: str = "INFO"
    # A TrueType font with Kazakh letters for the progress card (default: DejaVu Sans if found).
    progress_font: str | None = None
    # Seconds from a curator's approval of a buddy match to the check-in (two weeks).
    buddy_checkin_after: int = 1_209_600
    # Seconds a call to Telegram may spend waiting out 429s and retrying 5xx/network errors.
    telegram_retry_budget: float = 30.0
    default_language: Language = "kk"
    # Per-user flood control: at most `throttle_burst` messages per `throttle_window` seconds.
    throttle_burst: int = 8
    throttle_window: float = 10.0
    # Below this NLU confidence the bot does not trust a small-talk intent.
    intent_threshold: float = 0.6
    # Seconds an idle question-log batch waits before it is written.
    log_flush_interval: float = 2.0
    # When the weekly early-warning digest goes to admins: "DAY HH:MM" in DIGEST_TIMEZONE
    # (day as mon..sun), or "off".
    digest_at: str = "mon 09:00"
    digest_timezone: str = "Asia/Almaty"
    # Seconds after a pulse survey is sent before the one reminder to those who did not finish.
    pulse_remind_after: int = 172_800
    # Seconds between checks for pulse surveys to send or remind (also queued by the CLI).
    pulse_poll_every: int = 60
    # The e-mail channel (off unless IMAP_HOST and SMTP_HOST are set): the counselling mailbox
    # is read over IMAP, curators' replies go out over SMTP.
    imap_host: str | None = None
    imap_port: int = 993
    imap_ssl: bool = True
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    imap_poll_every: int = 60
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    # The address replies come from (default: SMTP_USER, else IMAP_USER).
    smtp_from: str = ""
    # Attachments larger than this (bytes) are not passed on; the curator is told.
    mail_max_attachment: int = 5_000_000
    # Updates that met a store outage wait here (default: beside the SQLite file, or var/).
    spool_path: Path | None = None
    # Seconds between attempts to replay them.
    spool_retry_every: float = 5.0
    # The outbox's pace: messages a second overall, a second per private chat (with bursts of
    # `outbox_chat_burst`), a minute per group; and how long a message is retried before
    # it is given up ("dead", see `kelisim outbox`).
    outbox_rate: float = 25.0
    outbox_chat_rate: float = 1.0
    outbox_chat_burst: float = 10.0
    outbox_group_per_minute: float = 20.0
    outbox_give_up_after: float = 86_400.0

    @field_validator("admin_ids", "curator_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _id_list(value)

    @field_validator(
        "telegram_api_url",
        "webhook_url",
        "rasa_token",
        "webhook_secret",
        "redis_url",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("scheduler", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("on", "off"):
            return value.strip().lower() == "on"
        return value

    @field_validator("curator_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("imap_host", "smtp_host", mode="before")
    @classmethod
    def _empty_host_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def mail_enabled(self) -> bool:
        return bool(self.imap_host and self.smtp_host)

    @property
    def mail_address(self) -> str:
        return self.smtp_from or self.smtp_user or self.imap_user

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def spool_file(self) -> Path:
        """Where updates wait out a store outage: the setting, else beside the SQLite file."""
        if self.spool_path is not None:
            return self.spool_path
        if self.is_sqlite and ":///" in self.database_url:
            # Also a URI filename: sqlite+aiosqlite:///file:/path/db.sqlite3?mode=ro&uri=true
            location = self.database_url.split(":///", 1)[1].split("?", 1)[0]
            database = Path(location.removeprefix("file:"))
            if database.name and database.name != ":memory:":
                return database.absolute().with_name(database.stem + "-spool.jsonl")
        return PROJECT_ROOT / "var" / "spool.jsonl"
