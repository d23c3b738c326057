"""`tact letters check` and TACT_LETTER_TEMPLATES_DIR at start-up: a council's own templates
are checked as start-up checks them (through click's runner, and as the README tells a person
to run it), and a bad folder stops start-up, naming the file and line, before anything is
opened."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from api.runtime import Runtime
from api.settings import Settings
from casework.letter_check import LetterTemplateError
from casework.letter_templates import BUILT_IN
from tests.live_server import without_tact_settings

ROOT = Path(__file__).resolve().parents[2]
HEADING = "Pennawd prawf / Test heading\n{{ organisation }}\n\n{{ sent_on|long_date }}\n"
BROKEN = "{{ organisation }}\n{{ letterhead }}\n"


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LETTER_TEMPLATES_DIR", "PROFILE", "DATA_DIR"):
        monkeypatch.delenv(f"TACT_{name}", raising=False)


def letters_folder(where: Path, heading: str = HEADING) -> Path:
    folder = where / "letters"
    folder.mkdir()
    (folder / "_heading.txt.j2").write_text(heading, encoding="utf-8")
    return folder


def test_check_writes_every_letter_from_the_folder_given(tmp_path: Path) -> None:
    folder = letters_folder(tmp_path)
    args = ["letters", "check", "--templates", str(folder), "--profile", "rhondda-cynon-taf"]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"116 letters checked for rhondda-cynon-taf: own templates from {folder}: _heading.txt.j2\n"
    )


def test_check_reads_the_settings_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = letters_folder(tmp_path, BROKEN)
    monkeypatch.setenv("TACT_LETTER_TEMPLATES_DIR", str(folder))
    monkeypatch.setenv("TACT_PROFILE", "portsmouth-cc")

    result = CliRunner().invoke(main, ["letters", "check"])

    assert result.exit_code == 1
    assert f"{folder}/_heading.txt.j2 line 2: 'letterhead' is undefined" in result.output
    # Without a folder: the built-in templates, for the profile TACT_PROFILE names.
    monkeypatch.delenv("TACT_LETTER_TEMPLATES_DIR")
    result = CliRunner().invoke(main, ["letters", "check"])
    assert result.output == "96 letters checked for portsmouth-cc: own templates: none\n"


def test_check_refuses_a_profile_that_is_not_there() -> None:
    result = CliRunner().invoke(main, ["letters", "check", "--profile", "nowhere"])
    assert result.exit_code == 1
    assert "nowhere" in result.output


def readme_check() -> str:
    """The README's command that checks a folder, as printed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"```sh\n(\.venv/bin/tact letters check [^\n]*)\n```", text)
    return command


def test_the_readme_s_command_as_a_person_runs_it(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    folder = letters_folder(tmp_path)
    command = readme_check()

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env=without_tact_settings(),
        )  # fmt: skip

    done = run()
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("own templates from letters: _heading.txt.j2\n")

    (folder / "_heading.txt.j2").write_text(BROKEN, encoding="utf-8")
    (folder / "_sign_off.txt").write_text("A misnamed file\n", encoding="utf-8")
    done = run()
    assert done.returncode == 1
    assert "letters/_heading.txt.j2 line 2: 'letterhead' is undefined" in done.stderr
    assert "letters/_sign_off.txt: replaces no built-in template" in done.stderr


async def test_a_bad_folder_stops_start_up_before_anything_is_opened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = letters_folder(tmp_path, BROKEN)
    settings = Settings(_env_file=None, data_dir=data, letter_templates_dir=folder)

    with pytest.raises(LetterTemplateError) as refused:
        await Runtime.start(settings)

    assert f"{folder}/_heading.txt.j2 line 2" in refused.value.message
    assert not data.exists()


async def test_the_runtime_writes_letters_from_the_folder_checked(tmp_path: Path) -> None:
    folder = letters_folder(tmp_path)
    runtime = await Runtime.start(
        Settings(_env_file=None, data_dir=tmp_path / "data", letter_templates_dir=folder)
    )
    try:
        assert runtime.letters.folder == folder
    finally:
        await runtime.close()
    runtime = await Runtime.start(Settings(_env_file=None, data_dir=tmp_path / "data"))
    try:
        assert runtime.letters is BUILT_IN
    finally:
        await runtime.close()
