"""``python -m titanaudit`` is the ``titanaudit`` command."""

from titanaudit.cli import main

main()
