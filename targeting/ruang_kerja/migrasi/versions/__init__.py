"""Schema versions, oldest first (Alembic revision files)."""
