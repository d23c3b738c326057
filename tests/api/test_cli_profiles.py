"""`tact profiles list` / `tact profiles show NAME` as printed, and TACT_PROFILE at start-up:
a bad profile stops start-up naming file and key; the runtime exposes the one chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from api.runtime import Runtime
from api.settings import Settings
from casework.profiles import ProfileError, load_profile
from tests.casework.test_profiles import SHIPPED, bad, shipped_text


def test_tact_profiles_list_and_show() -> None:
    listed = CliRunner().invoke(main, ["profiles", "list"])
    assert listed.exit_code == 0, listed.output
    assert [line.split()[0] for line in listed.output.splitlines()] == SHIPPED
    assert "wales" in next(line for line in listed.output.splitlines() if "rhondda" in line)
    shown = CliRunner().invoke(main, ["profiles", "show", "portsmouth-cc"])
    assert shown.exit_code == 0, shown.output
    assert '"customer_requests_per_period": 1' in shown.output
    missing = CliRunner().invoke(main, ["profiles", "show", "nowhere"])
    assert missing.exit_code == 1 and "nowhere.toml: name" in missing.output


def test_tact_profiles_show_checks_an_organisations_own_file(tmp_path: Path) -> None:
    path = tmp_path / "default.toml"
    path.write_text(bad(shipped_text("default"), "window = 28", "window = -1"), encoding="utf-8")
    result = CliRunner().invoke(main, ["profiles", "show", str(path)])
    assert result.exit_code == 1
    assert "profile default.toml: appeal.window:" in result.output


async def test_a_bad_profile_stops_start_up_before_anything_is_opened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(ProfileError) as caught:
        await Runtime.start(Settings(data_dir=data, profile="nowhere"))
    assert caught.value.key == "name"
    assert not data.exists()


async def test_the_runtime_exposes_the_profile_tact_profile_names(tmp_path: Path) -> None:
    runtime = await Runtime.start(Settings(data_dir=tmp_path / "data", profile="merseyside-frs"))
    try:
        assert runtime.profile == load_profile("merseyside-frs")
    finally:
        await runtime.close()
