"""The check a deployment's letter templates pass before any letter is written from them: at
start-up and by `tact letters check`.

Every letter is rendered for the profile in use, in every shape (casework/letter_samples.py:
made-up facts, never a person's), and refused, naming the template file and line, when a
template does not parse, refers to a value the letter is not given (StrictUndefined) or
includes a template there is not, or when its text labels a person (the label guard, on the
template's own words, branches not taken included, and on the letters written). A file in
the deployment's folder that replaces no built-in template and that no letter includes is
refused too: a misspelt `_haeding.txt.j2` would otherwise be ignored without a word.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, nodes

from casework.label_guard import Label, find_label
from casework.letter_samples import sample_letters
from casework.letter_templates import PREFIX, SUFFIX, LetterTemplates, welsh_name
from casework.letters import render_letter
from casework.profiles import Profile
from records.errors import TactError

# Jinja's tags and comments: blanked (newlines kept) before the guard reads a template's words.
_TAGS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


# What brings another template into a letter.
_INCLUDES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


class LetterTemplateError(TactError):
    """A letter template cannot be used; the message names each file and line at fault."""

    code = "LETTER_TEMPLATE"


@dataclass(frozen=True)
class Checked:
    letters: int  # letters rendered
    own: tuple[str, ...]  # the deployment's files in use


def check_letters(templates: LetterTemplates, profile: Profile) -> Checked:
    """Render every letter for `profile` from `templates`; raise LetterTemplateError listing
    every problem found, each once."""
    problems: dict[str, None] = {}
    folder = templates.folder
    if folder is not None and not folder.is_dir():
        raise LetterTemplateError(f"letter templates: {folder} is not a folder")
    used = _in_use(templates, problems)
    for name in sorted(used):
        _check_words(templates, name, problems)
    own = templates.own_names()
    for name in own:
        if name not in used:
            problems[
                f"{folder}/{name}: replaces no built-in template and no letter includes it "
                f"(the built-in ones: {', '.join(templates.built_in_names())})"
            ] = None
    rendered = 0
    for subject, facts in sample_letters(profile):
        try:
            letter = render_letter(profile, subject, facts, templates)
        except (TemplateSyntaxError, TemplateNotFound):
            continue  # named by _in_use
        except Exception as exc:  # any failure is the template's: reported
            problems[_failure(templates, exc)] = None
            continue
        rendered += 1
        if (label := find_label(letter)) is not None:
            problems[_labelled(templates, subject.value, label)] = None
    if problems:
        raise LetterTemplateError("letter templates refused:\n- " + "\n- ".join(problems))
    return Checked(letters=rendered, own=tuple(name for name in own if name in used))


def _in_use(templates: LetterTemplates, problems: dict[str, None]) -> set[str]:
    """Each letter's template, its Welsh version where the deployment has one, and every
    template they include, in turn (by the name a deployment's file has: `_heading.txt.j2`).
    One that fails to parse or is missing is a problem."""
    environment = templates.environment
    used: set[str] = set()
    letters = [name for name in templates.built_in_names() if not name.startswith("_")]
    welsh = [welsh_name(name.removesuffix(SUFFIX)) for name in letters]
    letters += [name for name in templates.own_names() if name in welsh]
    # (template, where it is included from: "file line N"; None for a letter itself)
    waiting: list[tuple[str, str | None]] = [(name, None) for name in letters]
    while waiting:
        name, included_at = waiting.pop()
        if name in used:
            continue
        try:
            parsed = environment.parse(templates.source(name), f"{PREFIX}/{name}")
        except TemplateNotFound:
            problems[f"{included_at}: includes {PREFIX}/{name}, which is not there"] = None
            continue
        except TemplateSyntaxError as exc:
            problems[f"{templates.file_of(name)} line {exc.lineno}: {exc.message}"] = None
        except (TemplateError, UnicodeDecodeError) as exc:
            problems[f"{templates.file_of(name)}: {_reason(exc)}"] = None
        else:
            for node in parsed.find_all(_INCLUDES):
                at = f"{templates.file_of(name)} line {node.lineno}"
                template = getattr(node, "template", None)
                if not isinstance(template, nodes.Const):
                    problems[f"{at}: includes a template named by a value"] = None
                else:
                    waiting.append((str(template.value).removeprefix(f"{PREFIX}/"), at))
        used.add(name)
    return used


def _check_words(templates: LetterTemplates, name: str, problems: dict[str, None]) -> None:
    """The guard over a template's own words, line by line: a label in a branch the samples
    do not take is still refused."""
    try:
        source = templates.source(name)
    except (TemplateError, UnicodeDecodeError):
        return  # reported by _in_use
    for number, line in enumerate(_TAGS.sub(_blank, source).splitlines(), start=1):
        if (label := find_label(line)) is not None:
            problems[f"{templates.file_of(name)} line {number}: {_refused(label)}"] = None


def _blank(tag: re.Match[str]) -> str:
    return " " + "\n" * tag.group().count("\n")


def _failure(templates: LetterTemplates, exc: Exception) -> str:
    """Where rendering failed (the innermost template line in the traceback) and why."""
    where = "a letter template"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = templates.name_of(frame.filename)
        if name is not None:
            where = f"{templates.file_of(name)} line {frame.lineno}"
            break
    return f"{where}: {_reason(exc)}"


def _reason(exc: BaseException) -> str:
    """Jinja's own message (a value's or a template's name, never a letter's text); for
    anything else, only what kind of failure it was."""
    if isinstance(exc, TemplateError) and exc.message:
        return exc.message
    if isinstance(exc, TemplateError):
        return type(exc).__name__
    return f"could not be rendered ({type(exc).__name__})"


def _labelled(templates: LetterTemplates, subject: str, label: Label) -> str:
    """A label in a rendered letter whose template words passed: it came from a value the
    letter prints (a profile's title, say)."""
    return (
        f"{templates.file_of(subject + SUFFIX)}: the {subject} letter prints a value that "
        f"{_refused(label)}"
    )


def _refused(label: Label) -> str:
    return f"'{label.word}' labels a person; {label.suggestion}"
