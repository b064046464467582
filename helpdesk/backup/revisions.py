"""Where a backup's schema revision stands against the migrations this code has."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Engine

from helpdesk.backup.problems import BackupError
from helpdesk.core.db import alembic_config


class RevisionStanding(StrEnum):
    CURRENT = "current"
    OLDER = "older"  # restore, then migrate forward

    @property
    def label(self) -> str:
        return {"current": "the code's own", "older": "older than the code's"}[self.value]


def code_head(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def standing_of(engine: Engine, revision: str | None) -> RevisionStanding:
    """CURRENT or OLDER; a revision these migrations don't know was made by newer code: refused."""
    from alembic.script import ScriptDirectory

    if not revision:
        raise BackupError("The backup has no schema revision (no alembic_version row): it is not a backup of "
                          "a helpdesk database. Nothing was changed.")
    script = ScriptDirectory.from_config(alembic_config(engine))
    if revision == script.get_current_head():
        return RevisionStanding.CURRENT
    if revision in {script_revision.revision for script_revision in script.walk_revisions()}:
        return RevisionStanding.OLDER
    raise BackupError(f"The backup is at schema revision {revision}, which this version of the helpdesk does "
                      f"not know (its newest is {script.get_current_head()}): it was made by a newer version. "
                      "Restore it with that version (or newer). Nothing was changed.")
