"""The `tact` command's table of areas: every command is listed, found in the module that
registers it, and a command imports only its own area (not the schema or the web server)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from api.cli import COMMANDS, main, registered_by
from schema.document_ids import id_of


def test_the_table_names_exactly_the_commands_each_module_registers() -> None:
    named: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, area in COMMANDS.items():
        named[area.module, area.registers].add(name)
    for where, names in named.items():
        assert set(registered_by(*where)) == names, where


def test_each_command_has_the_help_the_table_lists_for_it() -> None:
    for name, area in COMMANDS.items():
        assert registered_by(area.module, area.registers)[name].help == area.summary, name


def test_help_lists_every_command_with_its_own_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line]
    assert listed == sorted(COMMANDS)
    assert "Records management: archive, destroy" in result.output


def every_command() -> Iterator[tuple[str, click.Command]]:
    """Each command and subcommand of `tact`, by its full name."""

    def walk(name: str, command: click.Command) -> Iterator[tuple[str, click.Command]]:
        yield name, command
        for sub_name, sub in getattr(command, "commands", {}).items():
            yield from walk(f"{name} {sub_name}", sub)

    for name, area in COMMANDS.items():
        yield from walk(name, registered_by(area.module, area.registers)[name])


def test_every_command_and_option_says_what_it_is_for() -> None:
    for name, command in every_command():
        assert command.help, f"tact {name} has no help"
        for option in command.params:
            if isinstance(option, click.Option) and not option.hidden:
                assert option.help, f"tact {name} {option.opts[0]} has no help"
    shown = CliRunner().invoke(main, ["retention", "hold", "place", "--help"])
    assert "--reason" in shown.output and "ombudsman_investigation" in shown.output


def test_an_unknown_command_is_refused_by_name() -> None:
    result = CliRunner().invoke(main, ["retension"])
    assert result.exit_code == 2
    assert "No such command 'retension'" in result.output


def imported_by(args: list[str], prefixes: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run `tact ARGS` in a fresh interpreter: what it printed, and the modules it imported
    whose names start with one of `prefixes`."""
    probe = (
        "import sys\n"
        "from api.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.startswith({prefixes!r})))\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *printed, imported = ran.stdout.strip().splitlines()
    return "\n".join(printed), ast.literal_eval(imported)


def test_a_retention_command_does_not_import_the_schema_or_the_web_server() -> None:
    printed, imported = imported_by(
        ["retention", "run", "--help"], ("schema.root", "uvicorn", "api.app")
    )
    assert "Usage: " in printed
    assert imported == []


def test_a_staff_command_imports_neither_the_step_inputs_nor_the_place_names() -> None:
    """`tact token` (and every command that builds the runtime) reads the settings. They once
    imported the attachment step, and so every step's input model, for one constant; and the
    country names, libphonenumber's whole table of place names (about half a second)."""
    heavy = ("casework.step_models", "casework.attachments", "phonenumbers.geodata")
    printed, imported = imported_by(["token", "--help"], heavy)
    assert "Usage: " in printed
    assert imported == []


def test_help_imports_no_area_of_tact() -> None:
    """`tact --help` lists the commands from the table: no command's module, so none of the
    database, the gate, the schema or the web server it would bring in."""
    heavy = ("api.cli_", "api.runtime", "sqlalchemy", "strawberry", "uvicorn", "authz")
    printed, imported = imported_by(["--help"], heavy)
    assert "Commands:" in printed and "Records management" in printed
    assert imported == []


@pytest.mark.parametrize("args", [["schema", "export", "--help"], ["letters", "check", "--help"]])
def test_commands_that_open_no_database_do_not_import_the_runtime(args: list[str]) -> None:
    printed, imported = imported_by(args, ("uvicorn", "api.runtime", "api.demo"))
    assert "Usage: " in printed
    assert imported == []


def test_the_demo_curl_line_imports_neither_graphql_nor_strawberry() -> None:
    """`tact demo` prints a curl line with the registered document's id: a hash of its file,
    which once brought in graphql-core and strawberry (a fifth of a second) for nothing else
    the command does."""
    probe = (
        "import sys\n"
        "from api.cli_serve import curl_example\n"
        "print(curl_example('http://127.0.0.1:8000/graphql', 'tact_pk_x', 'a@example.org'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('graphql', 'strawberry'))))\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    curl, imported = ran.stdout.strip().splitlines()
    assert id_of("RestrictionStatus") in curl
    assert ast.literal_eval(imported) == []
