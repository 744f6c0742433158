"""The PostgreSQL side of the workspace: row-level security as a second wall, and COPY.

The query layer (:mod:`targeting.ruang_kerja.gudang`) filters every read by the user's scope.
On PostgreSQL the same scope is also set per transaction (``app.lokus_cakupan``: ``*`` for
every desa, else comma-separated kecamatan/desa codes) and the policies below let a
transaction see and write only rows of its desa, even through a hand-written query. Policies
are FORCEd, so they bind the table owner too; connect as a role that is not a superuser
(superusers bypass row-level security: README, "Workspace").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text

from targeting.ruang_kerja.skema import SCOPED_TABLES

__all__ = ["copy_rows", "install_policies", "set_scope"]

_FUNCTION = """
CREATE OR REPLACE FUNCTION lokus_dalam_cakupan(kode text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.lokus_cakupan', true), '') = '*'
      OR (kode IS NOT NULL AND EXISTS (
          SELECT 1 FROM unnest(string_to_array(current_setting('app.lokus_cakupan', true), ','))
              AS w(kode_wilayah)
          WHERE w.kode_wilayah <> ''
            AND (kode = w.kode_wilayah OR kode LIKE w.kode_wilayah || '.%')))
$$
"""


def install_policies(conn: Connection) -> None:
    """Create the scope function and one FORCEd policy per table of :data:`SCOPED_TABLES`.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A PostgreSQL connection inside a transaction (the migration's).
    """
    conn.execute(text(_FUNCTION))
    for table in SCOPED_TABLES:
        conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
        conn.execute(text(f"DROP POLICY IF EXISTS lokus_cakupan ON {table}"))
        conn.execute(
            text(
                f"CREATE POLICY lokus_cakupan ON {table} USING (lokus_dalam_cakupan(kode_desa)) "
                "WITH CHECK (lokus_dalam_cakupan(kode_desa))"
            )
        )
    has_postgis = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
    if has_postgis:  # a view for QGIS and spatial SQL; the table keeps plain WKB
        conn.execute(
            text(
                "CREATE OR REPLACE VIEW desa_peta AS SELECT snapshot_id, kode_desa, desa, "
                "kecamatan, keluarga_total, ST_GeomFromWKB(geom, 4326) AS geom FROM desa"
            )
        )


def set_scope(conn: Connection, setting: str) -> None:
    """Set ``app.lokus_cakupan`` for the current transaction only (``set_config(..., true)``)."""
    conn.execute(text("SELECT set_config('app.lokus_cakupan', :v, true)"), {"v": setting})


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable) -> int:
    """Write rows with ``COPY ... FROM STDIN`` in the connection's transaction.

    PostgreSQL refuses COPY into a table under row-level security, so the rows are copied
    into a temporary table (dropped at commit) and moved with one ``INSERT ... SELECT``,
    which the policies check.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A PostgreSQL (psycopg 3) connection inside a transaction.
    table : str
        Table name (one of the workspace's).
    columns : sequence of str
        Columns, in the order of each row.
    rows : iterable of tuple
        The rows.

    Returns
    -------
    int
        Rows written.
    """
    n = 0
    cols = ", ".join(columns)
    stage = f"_masuk_{table}"
    conn.execute(
        text(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
    )
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    conn.execute(text(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}"))
    conn.execute(text(f"DROP TABLE {stage}"))
    return n
