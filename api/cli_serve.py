"""`tact` commands to run Tact: serve, db upgrade, demo, schema export.

tact serve [--demo] [--host H] [--port P] [--workers N]   run the API (uvicorn)
tact db upgrade                             apply pending migrations
tact demo                                   load the demonstration data set
tact schema export [--output PATH] [--check]
tact schema documents                       the registered documents portals send by id
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli import COMMANDS
from api.cli_runtime import load_settings, with_runtime
from api.logging import configure_logging

# The web server, the schema and the demo data are imported by the commands that use them:
# `tact schema export` needs no web server, `tact db upgrade` neither, and `--help` nothing.
if TYPE_CHECKING:
    from api.demo import DemoSummary
    from api.runtime import Runtime
    from api.settings import Settings


async def _load(runtime: Runtime, *, fresh_key: bool) -> tuple[DemoSummary, str | None]:
    """Load the demo set; issue a demo portal key when it was just loaded or `fresh_key`
    (and, on the embedded default, admin-panel passwords, printed with the accounts)."""
    from api.demo import (
        demo_passwords,
        demo_present,
        issue_demo_passwords,
        issue_demo_portal_key,
        load_demo,
    )
    from records.models import utcnow

    now = utcnow()
    passwords = None
    if runtime.settings.embedded:
        async with runtime.database.sessions() as session:
            if fresh_key or not await demo_present(session):  # they will be issued
                passwords = asyncio.create_task(demo_passwords())  # hashed while it loads
    try:
        summary = await load_demo(
            runtime.database, runtime.vault, now, runtime.profile, runtime.letters
        )
        _served_as_built(runtime, summary)
        key = None
        if summary.loaded or fresh_key:
            async with runtime.database.sessions() as session, session.begin():
                key = await issue_demo_portal_key(session, now)
                if passwords is not None:
                    made = await passwords
                    _PASSWORDS.update(await issue_demo_passwords(session, now, made))
    finally:
        if passwords is not None and not passwords.done():
            passwords.cancel()
    return summary, key


def _served_as_built(runtime: Runtime, summary: DemoSummary) -> None:
    """Refuse the demo set under a profile other than the one it was built under: the README
    tells a council trying Tact under its own profile that the demo is then that
    organisation's (its catalogue, its process, its letters), and a set built once under
    another profile is none of these. Said with the way to start afresh. A set loaded before
    Tact recorded its profile is served, with a note saying so."""
    profile, settings = runtime.profile, runtime.settings
    if summary.loaded or summary.built_under == profile.name:
        return
    if settings.embedded:
        where = f"data folder ({settings.data_dir})"
        folder = shlex.quote(f"./tact-data-{profile.name}")
        afresh = f"a data folder of its own: TACT_PROFILE={shlex.quote(settings.profile)} "
        afresh += f"TACT_DATA_DIR={folder} tact serve --demo"
    else:
        where = "database"
        afresh = "a case database and key store of their own (TACT_DATABASE_URL, TACT_KEYSTORE_URL)"
    if summary.built_under is None:
        click.echo(
            f"Note: the demo set in this {where} was loaded before Tact recorded the profile it "
            f"was built under. If that was not {profile.name}, its cases and letters are another "
            f"organisation's: to try {profile.name}, start afresh in {afresh}.\n"
        )
        return
    raise click.ClickException(
        f"the demo set in this {where} was built under the profile {summary.built_under}, not "
        f"{profile.name}: its cases and letters are that organisation's, not "
        f"{profile.organisation}'s. Serve it under its own (TACT_PROFILE="
        f"{summary.built_under}), or, to try {profile.name}, start afresh in {afresh}."
    )


# Demo admin-panel passwords issued by this command, printed next to their accounts.
_PASSWORDS: dict[str, str] = {}


def curl_example(url: str, key: str, email: str) -> str:
    from schema.document_ids import id_of

    body = json.dumps(
        {
            "documentId": id_of("RestrictionStatus"),
            "variables": {"lookup": {"email": email}, "service": "housing"},
        }
    )
    return (
        f"curl -s {url} -H 'Content-Type: application/json' "
        f"-H {shlex.quote('Authorization: ApiKey ' + key)} -d {shlex.quote(body)}"
    )


def _print_demo(summary: DemoSummary, key: str | None, url: str) -> None:
    from api.demo_data import QUICK_START_EMAIL

    if summary.loaded:
        click.echo(
            f"Demo data loaded: {summary.customers} customers, {summary.cases} cases, "
            f"{summary.arrangements} arrangements (all made up)."
        )
    else:
        click.echo("Demo data already present; nothing loaded.")
    click.echo("\nStaff accounts (get a token with `tact token <username>`):")
    for member in summary.staff:
        where = f"@{member.service}" if member.service else " (every service)"
        click.echo(f"  {member.username:34} {member.role.value}{where}")
    for username, password in _PASSWORDS.items():
        click.echo(f"\nAdmin panel (/admin): sign in as {username} with password {password}")
    if key is None:
        click.echo("\nPortal keys are shown once; make one with `tact portal-key create`.")
        return
    click.echo("\nDemo portal key (shown once, keep it):\n  " + key)
    click.echo(f"\nTry it: is there an arrangement for {QUICK_START_EMAIL} in housing?")
    click.echo("  " + curl_example(url, key, QUICK_START_EMAIL))


def demo_switches(settings: Settings, with_demo: bool) -> dict[str, str]:
    """What `--demo` turns on: GraphiQL and introspection over the made-up data, so the first
    minute can be spent in a browser. Development only, and never over an explicit setting;
    production keeps both off unless TACT_GRAPHIQL / TACT_INTROSPECTION say otherwise."""
    if not with_demo or not settings.development:
        return {}
    return {
        f"TACT_{name.upper()}": "true"
        for name in ("graphiql", "introspection")
        if name not in settings.model_fields_set
    }


def serve_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
    group.add_command(serve)
    group.add_command(db)
    group.add_command(demo)
    group.add_command(schema)


@click.command(help=COMMANDS["serve"].summary)
@click.option("--demo", "with_demo", is_flag=True, help="Load the demo data set first.")
@click.option("--host", default=None, help="Address to listen on (default: TACT_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: TACT_PORT).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: TACT_WORKERS). They share one access-log chain.",
)
def serve(with_demo: bool, host: str | None, port: int | None, workers: int | None) -> None:
    import uvicorn

    settings = load_settings()
    configure_logging(settings.log_level)
    host, port = host or settings.host, port or settings.port

    async def prepare(runtime: Runtime) -> tuple[DemoSummary, str | None] | None:
        return await _load(runtime, fresh_key=True) if with_demo else None

    # Opened here first, so a refusal (out-of-date schema, wrong key file) is one clear
    # line before uvicorn starts; each worker's lifespan opens its own runtime again.
    prepared = with_runtime(prepare, settings=settings)
    if prepared is not None:
        _print_demo(*prepared, url=f"http://{host}:{port}/graphql")
    switches = demo_switches(settings, with_demo)
    # The workers read their settings from the environment: this is how they learn it.
    os.environ.update(switches)
    if "TACT_GRAPHIQL" in switches:
        click.echo(f"\nGraphiQL (development only): http://{host}:{port}/graphql")
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        # uvicorn restarts a worker that has not answered its health check within this
        # many seconds; its default (5) kept killing workers still starting on a busy host.
        timeout_worker_healthcheck=60,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@click.group(help=COMMANDS["db"].summary)
def db() -> None:
    pass


@db.command("upgrade", help="Apply pending migrations to the case database.")
def db_upgrade() -> None:
    from records.migrate import head_revision

    async def nothing(_runtime: Runtime) -> None:
        return None

    with_runtime(nothing, migrate=True)
    click.echo(f"Case database at revision {head_revision()}.")


@click.command(help=COMMANDS["demo"].summary)
def demo() -> None:
    settings = load_settings()

    async def load(runtime: Runtime) -> tuple[DemoSummary, str | None]:
        return await _load(runtime, fresh_key=False)

    summary, key = with_runtime(load, settings=settings)
    _print_demo(summary, key, url=f"http://{settings.host}:{settings.port}/graphql")


@click.group(help=COMMANDS["schema"].summary)
def schema() -> None:
    pass


@schema.command("export", help="Write the schema's SDL (schema.graphql).")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("schema.graphql"),
    show_default=True,
    help="The file to write (or to check).",
)
@click.option("--check", is_flag=True, help="Exit 1 if the file differs; write nothing.")
def schema_export(output: Path, check: bool) -> None:
    from schema.root import schema_sdl

    text = schema_sdl()
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{output} is out of date: run `tact schema export`")
        click.echo(f"{output} is up to date.")
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}.")


@schema.command("documents", help="List the registered (persisted) documents and their ids.")
def schema_documents() -> None:
    from schema.root import build_schema

    for document in build_schema().documents:
        click.echo(f"# {document.name}: {document.id}")
        click.echo(document.text)
