"""A deployment's own letter templates: a file in its folder replaces the built-in template of
the same name and nothing else (so a council can replace its letterhead alone, in two
languages); and the check before use refuses, naming the file and the line, a template that
does not parse, uses a value no letter is given, includes one that is not there or labels a
person (in its own words, or in what it prints), and a file that replaces nothing."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from casework import step_models as m
from casework.letter_check import LetterTemplateError, check_letters
from casework.letter_samples import CUSTOMER, sample_letters
from casework.letter_templates import BUILT_IN, LetterTemplates
from casework.letters import render_letter
from casework.profiles import load_profile, profile_names

RCT = load_profile("rhondda-cynon-taf")
# Made up to prove the folder is read as UTF-8 and comes first; a council's translators write
# the real Welsh.
HEADING = "Pennawd prawf ŵ ŷ / Test heading\n{{ organisation }}\n\n{{ sent_on|long_date }}\n"


def folder_with(tmp_path: Path, **files: str) -> Path:
    """A deployment's folder holding `files` (name: text; "__" in a name stands for "/")."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for name, text in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def a_decision_letter(templates: LetterTemplates) -> str:
    subject, facts = next(
        (s, f) for s, f in sample_letters(RCT) if s is m.NotificationSubject.DECISION
    )
    return render_letter(RCT, subject, facts, templates)


def test_a_file_in_the_folder_replaces_only_the_built_in_template_of_its_name(
    tmp_path: Path,
) -> None:
    own = LetterTemplates(folder_with(tmp_path, **{"_heading.txt.j2": HEADING}))

    letter = a_decision_letter(own)
    built_in = a_decision_letter(BUILT_IN)

    assert letter.startswith(f"Pennawd prawf ŵ ŷ / Test heading\n{RCT.organisation}\n\n2 March")
    # The rest of the letter is the built-in one, word for word.
    assert letter.partition("Managing contact")[2] == built_in.partition("Managing contact")[2]
    assert "Pennawd" not in built_in  # another deployment's templates are untouched
    assert check_letters(own, RCT).own == ("_heading.txt.j2",)


def test_a_whole_letter_and_the_council_s_own_parts_it_includes(tmp_path: Path) -> None:
    ended = (
        '{% include "letters/_heading.txt.j2" %}\nOur own words.\n'
        '{% include "letters/_crest.txt.j2" %}\n'
    )
    own = LetterTemplates(
        folder_with(tmp_path, **{"ended.txt.j2": ended, "_crest.txt.j2": "Crest\n"})
    )
    subject, facts = next((s, f) for s, f in sample_letters(RCT) if s.value == "ended")

    letter = render_letter(RCT, subject, facts, own)

    # The built-in heading, the customer's address block included, then the council's words.
    block = "Morgan O'Sample\nFlat 2\n1 Example Street\nExampletown\nZZ1 1ZZ\n"
    assert letter.startswith(f"{RCT.organisation}\n\n{block}\n2 March 2026\n")
    assert letter.endswith("Our own words.\nCrest\n")
    assert check_letters(own, RCT).own == ("_crest.txt.j2", "ended.txt.j2")


@pytest.mark.parametrize("name", profile_names())
def test_the_built_in_templates_pass_the_check_for_every_profile(name: str) -> None:
    checked = check_letters(BUILT_IN, load_profile(name))
    assert checked.letters == sum(1 for _ in sample_letters(load_profile(name)))
    assert checked.own == ()


# (files in the folder, where and why the check refuses them)
REFUSED = {
    "bad syntax": (
        {"_heading.txt.j2": "{{ organisation }}\n{% if %}\n"},
        "_heading.txt.j2 line 2: Expected an expression",
    ),
    "an unknown value": (
        {"_sign_off.txt.j2": "Yours sincerely,\n\n{{ signatory }}\n"},
        "_sign_off.txt.j2 line 3: 'signatory' is undefined",
    ),
    "a label in the template's words, in a branch no sample takes": (
        {"ended.txt.j2": "Ended.\n{% if false %}\nTo the persistent customer.\n{% endif %}\n"},
        "ended.txt.j2 line 3: 'persistent' labels a person",
    ),
    "a label in what the template prints": (
        {"ended.txt.j2": "Ended for the {{ 'vexa' ~ 'tious' }} customer.\n"},
        "ended.txt.j2: the ended letter prints a value that 'vexatious' labels a person",
    ),
    "a file that replaces nothing": (
        {"_haeding.txt.j2": "A letterhead\n"},
        "_haeding.txt.j2: replaces no built-in template and no letter includes it",
    ),
    "an included template that is not there": (
        {"review.txt.j2": 'Review.\n{% include "letters/_crest.txt.j2" %}\n'},
        "review.txt.j2 line 2: includes letters/_crest.txt.j2, which is not there",
    ),
    "a failure of another kind": (
        {"_heading.txt.j2": "{{ organisation }}\n{{ reference|long_date }}\n"},
        "_heading.txt.j2 line 2: could not be rendered (AttributeError)",
    ),
}


@pytest.mark.parametrize(("files", "named"), REFUSED.values(), ids=REFUSED.keys())
def test_the_check_refuses_naming_the_file_and_line(
    tmp_path: Path, files: dict[str, str], named: str
) -> None:
    folder = folder_with(tmp_path, **files)

    with pytest.raises(LetterTemplateError) as refused:
        check_letters(LetterTemplates(folder), RCT)

    assert f"{folder}/{named}" in refused.value.message
    assert refused.value.code == "LETTER_TEMPLATE"
    assert CUSTOMER not in refused.value.message  # made-up facts, and even those not printed


def test_every_problem_is_named_at_once_and_hidden_files_are_let_be(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        **{
            "_sign_off.txt.j2": "{{ signatory }}\n",
            "old__warning.txt.j2": "An old letter\n",
            ".gitkeep": "",
            ".backup__x": "",
        },
    )
    with pytest.raises(LetterTemplateError) as refused:
        check_letters(LetterTemplates(folder), RCT)
    problems = refused.value.message.splitlines()[1:]
    assert len(problems) == 2, problems
    assert "_sign_off.txt.j2 line 1" in problems[1]
    assert "old/warning.txt.j2: replaces no built-in template" in problems[0]


def test_a_folder_that_is_not_there_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LetterTemplateError, match="is not a folder"):
        check_letters(LetterTemplates(tmp_path / "nowhere"), RCT)


def test_a_welsh_version_is_checked_and_written_for_a_welsh_notification(
    tmp_path: Path,
) -> None:
    welsh = '{% include "letters/_heading.txt.j2" %}Llythyr prawf / Test letter: {{ step_on }}\n'
    own = LetterTemplates(folder_with(tmp_path, **{"ended.cy.txt.j2": welsh}))
    subject, facts = next((s, f) for s, f in sample_letters(RCT) if s.value == "ended")
    in_welsh = dataclasses.replace(facts, format=m.NotificationFormat.WELSH)

    assert render_letter(RCT, subject, in_welsh, own).endswith(
        "Llythyr prawf / Test letter: 2026-03-02\n"
    )
    assert "Llythyr" not in render_letter(RCT, subject, facts, own)  # a letter in English
    # In use, so not "replaces nothing"; and rendered by the check, which finds its faults.
    assert check_letters(own, RCT).own == ("ended.cy.txt.j2",)
    (tmp_path / "letters" / "ended.cy.txt.j2").write_text("{{ diwrnod }}\n", encoding="utf-8")
    with pytest.raises(
        LetterTemplateError, match=re.escape("ended.cy.txt.j2 line 1: 'diwrnod' is undefined")
    ):
        check_letters(LetterTemplates(tmp_path / "letters"), RCT)


def test_a_misspelt_welsh_version_replaces_nothing(tmp_path: Path) -> None:
    own = LetterTemplates(folder_with(tmp_path, **{"decison.cy.txt.j2": "Prawf\n"}))
    with pytest.raises(
        LetterTemplateError, match=re.escape("decison.cy.txt.j2: replaces no built-in")
    ):
        check_letters(own, RCT)
