"""`tact letters`: the templates letters are written from.

    tact letters check [--templates DIR] [--profile NAME]

`check` renders every letter for the profile in use (TACT_PROFILE) from the deployment's
templates (TACT_LETTER_TEMPLATES_DIR, or --templates) as start-up does, so a council's own
letterhead or letters can be checked before the setting points at them. No database is
opened: the letters are written from made-up facts.
"""

from __future__ import annotations

from pathlib import Path

import click

from api.cli import COMMANDS
from api.cli_runtime import load_settings
from casework.letter_check import LetterTemplateError, check_letters
from casework.letter_templates import LetterTemplates
from casework.profiles import ProfileError, resolve_profile


def letters_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
    group.add_command(letters)


@click.group(help=COMMANDS["letters"].summary)
def letters() -> None:
    pass


@letters.command(
    help="Render every letter for the profile from the templates and check each, as start-up "
    "does: refused, naming the file and line, if one does not parse, uses a value a letter "
    "is not given or labels a person, or if a file in the folder replaces nothing."
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path),
    help="The folder to check (default: TACT_LETTER_TEMPLATES_DIR; unset: the built-in ones).",
)
@click.option("--profile", "profile_name", help="The profile to write for (default: TACT_PROFILE).")
def check(templates: Path | None, profile_name: str | None) -> None:
    settings = load_settings()
    folder = templates or settings.letter_templates_dir
    try:
        profile = resolve_profile(profile_name or settings.profile)
        checked = check_letters(LetterTemplates(folder), profile)
    except (ProfileError, LetterTemplateError) as exc:
        raise click.ClickException(exc.message) from None
    own = ", ".join(checked.own) or "none"
    where = f" from {folder}" if folder is not None else ""
    click.echo(f"{checked.letters} letters checked for {profile.name}: own templates{where}: {own}")
