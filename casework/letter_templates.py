"""The templates letters are written from: the built-in ones in `casework/templates/letters/`,
and a deployment's own folder (TACT_LETTER_TEMPLATES_DIR) in front of them.

A file in the deployment's folder replaces the built-in template of the same name, so a
council can replace its letterhead and signatory alone (`_heading.txt.j2`, `_sign_off.txt.j2`)
or whole letters, bilingual ones included, and give a letter a Welsh version
(`decision.cy.txt.j2`), written for a notification sent in Welsh; anything it does not
replace stays built-in. The folder is flat: `_heading.txt.j2` there is what the letters
include as `letters/_heading.txt.j2`. casework/letter_check.py checks the whole set before
it is used.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)

PREFIX = "letters"  # the name letters include each other under: "letters/_heading.txt.j2"
SUFFIX = ".txt.j2"
# A letter's Welsh (or bilingual) version: `decision.cy.txt.j2` beside `decision.txt.j2`
# (cy: Welsh's language code). Tact ships none: the Welsh is the council's translators'.
WELSH = ".cy"


def welsh_name(subject: str) -> str:
    """The file a letter's Welsh version is read from (`decision.cy.txt.j2`)."""
    return f"{subject}{WELSH}{SUFFIX}"


def long_date(value: dt.date) -> str:
    """A date as a UK letter writes it: 2 March 2026."""
    return f"{value.day} {value:%B %Y}"


class LetterTemplates:
    """The deployment's folder first (None: the built-in templates alone), then the built-in
    ones, as one Jinja2 environment. StrictUndefined: a value a template needs and is not
    given fails rather than printing a blank. Templates are read once and kept (no reload):
    what start-up checked is what letters are written from until the next start."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._built_in = PackageLoader("casework", "templates")
        loaders: list[BaseLoader] = [self._built_in]
        if folder is not None:
            loaders.insert(0, PrefixLoader({PREFIX: FileSystemLoader(folder)}))
        # Autoescaping is for HTML (select_autoescape's default): these letters are plain
        # text, and escaping would turn an apostrophe in a name into an entity.
        self.environment = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.environment.filters["long_date"] = long_date
        # Which letters have a Welsh version, found once, as the templates are read once.
        self._welsh = frozenset(self.own_names() + self.built_in_names())

    def letter(self, subject: str, *, welsh: bool = False) -> Template:
        """The template of the letter about `subject` (decision, warning, review...); with
        `welsh`, its Welsh version where there is one, else the letter itself."""
        if welsh and self.has_welsh(subject):
            return self.environment.get_template(f"{PREFIX}/{welsh_name(subject)}")
        return self.environment.get_template(f"{PREFIX}/{subject}{SUFFIX}")

    def has_welsh(self, subject: str) -> bool:
        """Whether the letter about `subject` has a Welsh version, in the deployment's folder
        or built in."""
        return welsh_name(subject) in self._welsh

    def built_in_names(self) -> list[str]:
        """The built-in templates, by the name a deployment's file replaces (`_heading.txt.j2`)."""
        return sorted(
            name.removeprefix(f"{PREFIX}/")
            for name in self._built_in.list_templates()
            if name.startswith(f"{PREFIX}/")
        )

    def own_names(self) -> list[str]:
        """The files in the deployment's folder (subfolders as `sub/name`), hidden files
        (`.gitkeep`) aside."""
        if self.folder is None:
            return []
        found = (path.relative_to(self.folder) for path in self.folder.rglob("*"))
        return sorted(
            name.as_posix()
            for name in found
            if (self.folder / name).is_file() and not any(p.startswith(".") for p in name.parts)
        )

    def source(self, name: str) -> str:
        """The text of the template `<name>` (`_heading.txt.j2`), from wherever it is read."""
        loader = self.environment.loader
        assert loader is not None
        return loader.get_source(self.environment, f"{PREFIX}/{name}")[0]

    def name_of(self, filename: str) -> str | None:
        """The template a file read from is (`_heading.txt.j2`), or None for another file."""
        path = Path(filename).resolve()
        for folder in (self.folder, Path(__file__).parent / "templates" / PREFIX):
            if folder is not None and path.is_relative_to(folder.resolve()):
                return path.relative_to(folder.resolve()).as_posix()
        return None

    def file_of(self, name: str) -> str:
        """Where the template `letters/<name>` is read from: the deployment's file, else the
        built-in one (as `casework/templates/letters/<name>`)."""
        name = name.removeprefix(f"{PREFIX}/")
        if self.folder is not None and name in self.own_names():
            return str(self.folder / name)
        return f"casework/templates/{PREFIX}/{name}"


# The built-in templates alone: what letters are written from when a deployment has no folder.
BUILT_IN = LetterTemplates()
