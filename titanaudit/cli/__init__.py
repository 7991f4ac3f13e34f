"""The ``titanaudit`` command line: thin click commands over the library, one module per
command group (:mod:`~titanaudit.cli.base` holds the root group and the shared options).

Errors become exit codes in exactly one place (:class:`~titanaudit.cli.base.ErrorHandlingGroup`):
a :class:`~titanaudit.errors.TitanAuditError` prints one line, ``error: …``, and exits with its
``exit_code``; nothing a user can cause prints a traceback. Progress and summaries go to stderr
through rich; results (paths, tables asked for) go to stdout.
"""

from __future__ import annotations

from titanaudit.cli import auditing, decisions, dedupe, demo, imports, rules, simulator, snapshots
from titanaudit.cli.base import main

__all__ = ["main"]

# the command modules register their commands on ``main`` as they are imported
COMMANDS = (snapshots, demo, dedupe, auditing, decisions, imports, rules, simulator)
