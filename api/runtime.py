"""Start-up: open the case database, the key store and the key file from settings, check
that they belong together, and hand the parts to the app, the CLI and the jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from api.settings import Environment, Settings
from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions
from authz.gate import Gate
from authz.group_commit import GroupCommit
from authz.log_verify import head_broken_next_step, head_problem
from authz.operations import Operation
from authz.witness import FolderWitness
from casework.letter_check import check_letters
from casework.letter_templates import BUILT_IN, LetterTemplates
from casework.profiles import Profile, profile_names, resolve_profile
from records.crypto import KeyRing
from records.database import Database
from records.errors import KeyMaterialError, TactError
from records.migrate import head_revision, is_up_to_date, upgrade
from records.models import utcnow
from records.vault import Vault

log = logging.getLogger("tact.startup")
ACCESS_LOG_BROKEN = "the access log cannot be appended to"


class StartupError(TactError):
    code = "STARTUP"


@dataclass
class Runtime:
    settings: Settings
    database: Database
    vault: Vault
    gate: Gate
    profile: Profile  # the policy profile TACT_PROFILE names, validated at start
    # Set while the access log's head cannot be appended to (access_log_problem).
    log_problem: str | None = None
    # What letters are written from: TACT_LETTER_TEMPLATES_DIR's files in front of the
    # built-in templates, checked at start.
    letters: LetterTemplates = BUILT_IN

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool | None = None) -> Runtime:
        """Open everything. `migrate` defaults to True on the embedded SQLite default and
        False elsewhere: a PostgreSQL schema is upgraded by `tact db upgrade`, on purpose."""
        profile = resolve_profile(settings.profile)  # a bad profile stops start-up first
        letters = load_letter_templates(settings, profile)  # and so does a bad letter template
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ring = load_or_create_key_ring(settings)
        signer = load_or_create_audit_signer(settings)
        database = Database.open(settings.resolved_database_url, settings.resolved_keystore_url)
        try:
            if migrate if migrate is not None else settings.embedded:
                await asyncio.to_thread(upgrade, settings.resolved_database_url)
            elif not await is_up_to_date(database):
                raise StartupError(
                    "the case database schema is not at the current revision "
                    f"({head_revision()}): run `tact db upgrade` first"
                )
            await database.keystore.create_schema()
            key_file = settings.resolved_key_file
            vault = Vault(
                ring,
                database.keystore,
                reload_ring=lambda: KeyRing.load(key_file),
                cache_seconds=settings.data_key_cache_seconds,
            )
            await vault.check_keys()
        except BaseException:
            await database.dispose()
            raise
        gate = build_gate(settings, signer, vault, profile)
        # Entries of operations that only read are committed in groups (authz/group_commit.py).
        gate.log_writer = GroupCommit(
            database.writer,
            signer=signer,
            checkpoint_every=settings.access_log_checkpoint_every,
            clock=utcnow,
        )
        runtime = cls(
            settings=settings,
            database=database,
            vault=vault,
            gate=gate,
            profile=profile,
            letters=letters,
        )
        await runtime.access_log_problem()  # logged, and reported by /readyz; not fatal
        return runtime

    async def close(self) -> None:
        await self.database.dispose()

    async def access_log_problem(self) -> str | None:
        """Why nothing can be appended to the access log (a neutral reason, for /readyz), or
        None. Every change is logged: the details (which entry) go to the server log only."""
        async with self.database.sessions() as session:
            problem = await head_problem(session, self.gate.signer)
        reason = None if problem is None else ACCESS_LOG_BROKEN
        if problem is not None and reason != self.log_problem:
            logging.getLogger("tact.audit").error(
                f"the access log's head is broken at entry seq {problem.seq}, so nothing can "
                "be logged and gated requests are refused. " + head_broken_next_step(problem.seq),
                extra={"event": "access_log_head_broken", "seq": problem.seq},
            )
        self.log_problem = reason
        return reason


def load_letter_templates(settings: Settings, profile: Profile) -> LetterTemplates:
    """The deployment's letter templates, each letter rendered for the profile and checked
    (casework/letter_check.py): a template that fails stops start-up, named with its line."""
    folder = settings.letter_templates_dir
    if folder is None and settings.profile in profile_names():
        return BUILT_IN  # shipped templates with a shipped profile: the tests check them all
    templates = BUILT_IN if folder is None else LetterTemplates(folder)
    checked = check_letters(templates, profile)
    log.info(
        "letter templates checked",
        extra={"event": "letter_templates_checked", "own": list(checked.own)},
    )
    return templates


def load_or_create_key_ring(settings: Settings) -> KeyRing:
    path = settings.resolved_key_file
    if settings.key_file is not None:
        return KeyRing.load(path)
    # The key store is looked at before the key file: a process starting beside this one
    # makes its key file before its key store, so a store seen here has a key file by the
    # next line unless that file is truly lost.
    store = _sqlite_file(settings.resolved_keystore_url)
    store_exists = store is not None and store.exists()
    if not path.exists():
        if store_exists:
            # A new key file could never open the keys already there; generating one would
            # only hide the real problem (a lost key file) behind a mismatch error.
            raise KeyMaterialError(
                f"key file not found: {path}, but the key store {store} already exists: "
                "restore the key file, or set TACT_KEY_FILE to it"
            )
        if _made_here(KeyRing.create_file, path):
            log.warning(
                "generated a local key file for the embedded default; it is for local use "
                "only, keep it apart from backups of the data and set TACT_KEY_FILE in "
                "production",
                extra={"event": "key_file_generated", "path": str(path)},
            )
    return KeyRing.load(path)


def _made_here(create: Callable[[Path], None], path: Path) -> bool:
    """Make a key file; False when another process starting at the same moment made it first
    (two job processes on a fresh folder): that one is then the one to use."""
    try:
        create(path)
    except FileExistsError:
        return False
    return True


def _sqlite_file(url: str) -> Path | None:
    prefix, sep, rest = url.partition(":///")
    return Path(rest) if sep and prefix.startswith("sqlite") else None


def load_or_create_audit_signer(settings: Settings) -> CheckpointSigner:
    """The access-log checkpoint key, kept outside the database; generated on first start of
    the embedded default, like the key file."""
    path = settings.resolved_audit_signing_key_file
    generate = settings.audit_signing_key_file is None and (
        settings.environment is not Environment.PRODUCTION
    )
    if generate and not path.exists() and _made_here(CheckpointSigner.create_file, path):
        logging.getLogger("tact.audit").warning(
            "generated a local access-log signing key for the embedded default; keep it apart "
            "from the database and its backups, and set TACT_AUDIT_SIGNING_KEY_FILE in production",
            extra={"event": "audit_signing_key_generated", "path": str(path)},
        )
    return CheckpointSigner.load(path, FolderWitness(settings.resolved_audit_witness_path))


def build_gate(
    settings: Settings, signer: CheckpointSigner, vault: Vault, profile: Profile
) -> Gate:
    """The process's one authorisation choke point."""
    decisions = Decisions(clock=utcnow, reload_every=settings.policy_reload_seconds)
    return Gate(
        decisions,
        utcnow,
        signer=signer,
        checkpoint_every=settings.access_log_checkpoint_every,
        vault=vault,
        independent_of_decision=frozenset(
            operation
            for operation, independent in (
                (Operation.DECIDE_APPEAL, profile.appeal.independent_of_decider),
                (Operation.DECIDE_REVIEW, profile.reviews_independent_of_decider),
            )
            if independent
        ),
    )
