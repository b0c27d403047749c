"""The command line (`python -m screening`, or `screening` when installed).

- `shell`: the `screening` group, errors rendered once, the lazily loaded command groups;
- `shared`: what every command group shares (options, reading answers, writing results);
- `pack_commands`: the rule pack's commands; `checklist_commands`: `evaluate` and `verify`;
- `usage` and `help`: click's usage errors and `--help` pages in the command's language
  (`help_catalogue` adds the help texts to the catalogue's template).
"""

from screening.cli.checklist_commands import PASSWORD_ENV
from screening.cli.pack_commands import SCENARIOS_FOLDER, SCHEMA_FOLDER
from screening.cli.shell import LAZY_COMMANDS, cli, main

__all__ = ["LAZY_COMMANDS", "PASSWORD_ENV", "SCENARIOS_FOLDER", "SCHEMA_FOLDER", "cli", "main"]
