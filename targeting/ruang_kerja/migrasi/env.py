"""Alembic environment: runs on the connection :func:`targeting.ruang_kerja.migrasi.upgrade` gives."""

from __future__ import annotations

from alembic import context

from targeting.ruang_kerja.skema import metadata


def _run() -> None:
    conn = context.config.attributes["connection"]
    context.configure(connection=conn, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


try:
    context.config  # noqa: B018 (set only while Alembic runs this file)
except NameError:  # imported by pytest's doctest collector, not by Alembic
    pass
else:
    _run()
