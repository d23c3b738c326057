"""Settings from TACT_* environment variables and an optional `.env` file.

With no settings at all Tact runs on the embedded default: everything under `./tact-data`
(SQLite case database, a separate SQLite key store, a generated local key file). This is the
only module that reads the environment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from casework.media_types import DEFAULT_MAX_BYTES


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TACT_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("tact-data")
    # Case database. Default: SQLite file in data_dir.
    database_url: str | None = None
    # Key store (wrapped data keys), apart from the case database. Default: SQLite in data_dir.
    keystore_url: str | None = None
    # Key file with the key-encryption keys and the blind-index secret. Default: data_dir/tact.key
    key_file: Path | None = None
    # Ed25519 private key that signs access-log checkpoints (kept outside the database).
    audit_signing_key_file: Path | None = None
    # Sign an access-log checkpoint every N entries (0: only by `tact audit checkpoint`).
    access_log_checkpoint_every: int = Field(default=1000, ge=0)
    # Folder outside the case database where every signed checkpoint is also kept
    # (authz/witness.py). Default: data_dir/audit-witness.
    audit_witness_path: Path | None = None
    # How often (seconds) each process checks whether authorisation rules changed.
    policy_reload_seconds: float = Field(default=5.0, ge=0)
    # How long (seconds) a process may go on accepting a portal key it has just checked: a
    # revoked key is refused at most this long after the revocation (0: check every request).
    portal_key_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # How long (seconds) a process keeps a data key it read from the key store. A server
    # stops using a key the retention job shreds (in a process of its own), and drops it from
    # its cache, at most 1.1 times this long after reading it (records/vault.py; 0: read the
    # key store every time).
    data_key_cache_seconds: float = Field(default=300.0, ge=0, le=86_400)
    # Portal keys run registered documents only (schema/documents/, sent by documentId or
    # as the registered text): the portal contract is then those documents, and a key
    # cannot make the server parse and validate anything else. Off by default, so portals
    # written against the open schema keep working; recommended once they send ids.
    portal_registered_documents_only: bool = False
    # /metrics in Prometheus text format (api/metrics.py): off unless enabled.
    metrics: bool = False

    # Staff tokens: JWTs from the organisation's identity provider.
    jwt_issuer: str = "tact-local"
    jwt_audience: str = "tact"
    # JWKS as a file path or an https URL. Unset on the embedded default: a local signing key
    # in data_dir signs `tact token` tokens and verifies them.
    jwks: str | None = None
    local_signing_key_file: Path | None = None
    token_lifetime_minutes: int = Field(default=60, ge=1, le=24 * 60)

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)
    graphiql: bool = False
    introspection: bool = False
    log_level: str = "INFO"
    # Seconds a GraphQL request may run before it is answered 503 (code TIMEOUT).
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # The largest attachment kept, in bytes (docs/workflow.md, "Attachments"). A staff
    # request (bearer token) may carry a body this much larger, base64, than the 64 KiB limit.
    attachment_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0, le=64 * 1024 * 1024)
    # Browser origins allowed to call the API (a JSON list); none by default.
    cors_origins: list[str] = Field(default_factory=list)
    # Token buckets, kept in each process: a sustained rate per minute (0: no limit) and a
    # burst. Per credential for every request; stricter for lookups by email or phone (which
    # could test who is a case subject); failed authentication per client address.
    rate_limit_per_minute: float = Field(default=1200.0, ge=0)
    rate_limit_burst: int = Field(default=240, ge=1)
    lookup_rate_limit_per_minute: float = Field(default=600.0, ge=0)
    lookup_rate_limit_burst: int = Field(default=120, ge=1)
    failed_auth_rate_limit_per_minute: float = Field(default=30.0, ge=0)
    failed_auth_rate_limit_burst: int = Field(default=20, ge=1)
    # Admin panel (/admin): the key that signs its session cookies (generated on the embedded
    # default), and how long a signed-in session may sit idle.
    admin_session_key_file: Path | None = None
    admin_idle_minutes: int = Field(default=15, ge=1, le=8 * 60)
    # Policy profile in use: a shipped name (casework/profiles/<name>.toml, `tact profiles
    # list`) or the path of a .toml file. Validated at start-up.
    profile: str = "default"
    # A folder of the organisation's own letter templates (letterhead, signatory, whole
    # letters, bilingual ones), each replacing the built-in template of the same name
    # (docs/letters.md). Checked at start-up and by `tact letters check`. Unset: built-in.
    letter_templates_dir: Path | None = None
    # Records management (retention job): where archive bundles are kept (a folder), and
    # how many days access-log entries are kept before `tact retention run` may prune them
    # behind a signed checkpoint (0: never pruned).
    archive_path: Path | None = None
    access_log_retention_days: int = Field(default=0, ge=0)
    # Test hook for the crash tests: the job kills its own process (SIGKILL) on reaching the
    # named step (retention/job.py STEPS). Never set it in production.
    retention_kill_at: str | None = None

    @model_validator(mode="after")
    def _refuse_embedded_defaults_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            missing = [
                name
                for name, value in (
                    ("TACT_DATABASE_URL", self.database_url),
                    ("TACT_KEYSTORE_URL", self.keystore_url),
                    ("TACT_KEY_FILE", self.key_file),
                    ("TACT_JWKS", self.jwks),
                )
                if value is None
            ]
            if missing:
                raise ValueError(
                    "production needs explicit settings, not the embedded defaults: "
                    + ", ".join(missing)
                )
        return self

    @property
    def development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def embedded(self) -> bool:
        """True when the case database is the embedded SQLite default."""
        return self.database_url is None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cases.db'}"

    @property
    def resolved_keystore_url(self) -> str:
        return self.keystore_url or f"sqlite:///{self.data_dir / 'keys.db'}"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or self.data_dir / "tact.key"

    @property
    def resolved_audit_signing_key_file(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "audit-signing.key"

    @property
    def resolved_audit_witness_path(self) -> Path:
        return self.audit_witness_path or self.data_dir / "audit-witness"

    @property
    def resolved_archive_path(self) -> Path:
        return self.archive_path or self.data_dir / "archive"

    @property
    def resolved_local_signing_key_file(self) -> Path:
        return self.local_signing_key_file or self.data_dir / "token-signing.key"

    @property
    def resolved_admin_session_key_file(self) -> Path:
        return self.admin_session_key_file or self.data_dir / "admin-session.key"
