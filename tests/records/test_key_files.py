"""Key files are written whole or not at all, never over another, and a process killed while
writing one (a real SIGKILL) leaves the whole file or nothing: no stray copy of key material."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from records.key_files import write_new

KEY = b"key material " * 50


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("tmpfile", [True, False], ids=["unnamed", "named-temporary"])
def test_a_new_file_is_written_whole_with_its_mode_and_never_over_another(
    tmp_path: Path, tmpfile: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not tmpfile:  # a platform or file system without O_TMPFILE
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    path = tmp_path / "keys" / "tact.key"

    assert write_new(path, KEY) is True
    assert write_new(path, b"another key") is False
    assert write_new(tmp_path / "keys" / "checkpoint.json", b"{}", mode=0o444) is True

    assert path.read_bytes() == KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys" / "checkpoint.json").stat().st_mode) == 0o444
    assert listing(tmp_path / "keys") == ["checkpoint.json", "tact.key"]


# Run in a process of its own, which kills itself with SIGKILL just before or just after the
# file is linked into place: no `finally` runs, as when the machine's OOM killer strikes.
KILLED_AT_LINK = """
import os, signal, sys
from pathlib import Path
from records.key_files import write_new

when = sys.argv[2]
real_link = os.link

def link(source, target, **kwargs):
    if when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_link(source, target, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

os.link = link
write_new(Path(sys.argv[1]), b"key material " * 50)
"""


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE is Linux's")
@pytest.mark.parametrize(("when", "left"), [("before", []), ("after", ["tact.key"])])
def test_a_process_killed_while_writing_a_key_leaves_the_whole_key_or_nothing(
    tmp_path: Path, when: str, left: list[str]
) -> None:
    path = tmp_path / "tact.key"
    killed = subprocess.run([sys.executable, "-c", KILLED_AT_LINK, str(path), when], check=False)

    assert killed.returncode == -signal.SIGKILL
    assert listing(tmp_path) == left
    if left:
        assert path.read_bytes() == KEY
