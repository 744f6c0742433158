"""Schema versions of the workspace (Alembic), for SQLite and PostgreSQL alike.

``python -m targeting ruang-kerja migrasi`` (and every :class:`RuangKerja` on opening) runs
:func:`upgrade`. A new version is a new file in ``versions/`` (``alembic revision`` with
``script_location`` set to this folder).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

__all__ = ["current", "head", "upgrade"]

FOLDER = Path(__file__).resolve().parent


def _config(conn=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(FOLDER))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """Give the newest schema version."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """Give the database's schema version, None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest schema version (nothing to do when it is there).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The workspace database.

    Returns
    -------
    str
        The version now in the database.
    """
    if current(engine) != head():
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
    return head()
