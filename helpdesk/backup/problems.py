"""The one error of this package: what went wrong, worded for the operator who ran the command."""
from __future__ import annotations


class BackupError(Exception):
    """Refused or failed; the message says why and what to do, and nothing was changed unless it says so."""
