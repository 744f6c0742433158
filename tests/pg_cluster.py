"""A throwaway PostgreSQL + PostGIS cluster for the workspace tests, the load test and the bench.

:func:`cluster` runs Debian's ``initdb`` and ``pg_ctl`` (``/usr/lib/postgresql/<n>/bin``) in
a fresh temporary folder on a free loopback port, as the ``postgres`` user when run as root,
creates a login role ``lokus`` that is NOT a superuser (so row-level security binds it) and a
template database with PostGIS, and always stops and removes the cluster on leaving, failure
or not. ``make test`` installs the Debian packages (``make db-deps``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

PASSWORD = "lokus-uji"  # a throwaway cluster on 127.0.0.1 only


def bindir() -> Path | None:
    """The newest Debian PostgreSQL bin folder with ``initdb``, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    port: int
    root: Path
    template: str = "lokus_template"
    n: int = 0

    def admin_url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://lokus:{PASSWORD}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        """A fresh database from the PostGIS template, owned by ``lokus``; its URL."""
        self.n += 1
        name = f"lokus_{self.n}"
        eng = sa.create_engine(self.admin_url(), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name} OWNER lokus TEMPLATE {self.template}"))
        eng.dispose()
        return self.url(name)


def _run(cmd: list[str], as_user: str | None) -> None:
    if as_user:
        cmd = ["runuser", "-u", as_user, "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    """Start a throwaway cluster; stop and remove it on leaving (also after a failure)."""
    bins = bindir()
    if bins is None:
        msg = "PostgreSQL not installed: run `make db-deps` (Debian postgresql, postgis)"
        raise RuntimeError(msg)
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="lokus-pg-"))
    if user:
        shutil.chown(root, user)
    data, port = root / "data", _free_port()
    started = False
    try:
        _run([str(bins / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--no-sync"], user)  # fmt: skip
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run([str(bins / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"),
              "-w", "start"], user)  # fmt: skip
        started = True
        c = Cluster(port, root)
        eng = sa.create_engine(c.admin_url(), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f"CREATE ROLE lokus LOGIN PASSWORD '{PASSWORD}' NOSUPERUSER"))
            conn.execute(sa.text(f"CREATE DATABASE {c.template} OWNER lokus"))
        eng.dispose()
        eng = sa.create_engine(c.admin_url(c.template), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION postgis"))
        eng.dispose()
        yield c
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):
                _run([str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user)
        shutil.rmtree(root, ignore_errors=True)
