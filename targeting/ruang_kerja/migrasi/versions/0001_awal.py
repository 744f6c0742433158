"""The first workspace schema: every table of skema.py, and RLS policies on PostgreSQL.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from targeting.ruang_kerja.postgres import install_policies
from targeting.ruang_kerja.skema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables; on PostgreSQL also the row-level security policies."""
    bind = op.get_bind()
    metadata.create_all(bind)
    if bind.dialect.name == "postgresql":
        install_policies(bind)


def downgrade() -> None:
    """Drop every workspace table (and with them all data)."""
    metadata.drop_all(op.get_bind())
