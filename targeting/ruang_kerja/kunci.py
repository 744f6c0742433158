"""The workspace key: AES-256-GCM for the personal columns, kept outside the database.

The key is 32 random bytes, written base64 (urlsafe). It comes, in this order, from the
argument given (the app passes ``LOKUS_WORKSPACE_KEY`` of Streamlit's secrets), the
``LOKUS_WORKSPACE_KEY`` environment variable, or the key file (``LOKUS_WORKSPACE_KEY_FILE``,
default ``kunci.key`` in the workspace folder, beside but apart from the database file),
created on first use with mode 0600. Losing the key loses the personal columns: back it up
apart from the database (README, "Workspace").

Each value is sealed with a fresh 96-bit nonce and bound (associated data) to its table and
desa, so a ciphertext copied into another desa's row does not open.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from geo.errors import WorkspaceError

__all__ = ["ENV_KEY", "ENV_KEY_FILE", "Sandi", "load_key"]

ENV_KEY = "LOKUS_WORKSPACE_KEY"
ENV_KEY_FILE = "LOKUS_WORKSPACE_KEY_FILE"
NONCE = 12


def _jsonable(value: object) -> object:
    """Numpy scalars as Python numbers, anything else as its text (for :func:`json.dumps`)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def _decode(text: str, where: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raw = b""
    if len(raw) != 32:
        msg = f"Kunci ruang kerja dari {where} tidak sah: harus 32 bita dalam base64."
        en = f"The workspace key from {where} is not valid: it must be 32 bytes in base64."
        raise WorkspaceError(msg, en=en)
    return raw


def load_key(folder: Path, given: str | None = None, *, create: bool = True) -> bytes:
    """Return the workspace key, creating the key file on first use.

    Parameters
    ----------
    folder : pathlib.Path
        The workspace folder; the default key file is ``folder / "kunci.key"``.
    given : str, optional
        A key in base64 (e.g. from Streamlit's secrets); wins over the environment.
    create : bool, default True
        Whether a missing key file may be created: False when the database already holds
        encrypted rows (a new key would never open them, and new rows sealed with it would
        mix two keys in one workspace).

    Returns
    -------
    bytes
        The 32-byte AES key.

    Raises
    ------
    WorkspaceError
        When a given key is not 32 bytes in base64, or the key file is missing while
        ``create`` is False.
    """
    if given:
        return _decode(given, "secrets")
    if os.environ.get(ENV_KEY):
        return _decode(os.environ[ENV_KEY], ENV_KEY)
    path = Path(os.environ.get(ENV_KEY_FILE) or folder / "kunci.key")
    if path.exists():
        return _decode(path.read_text(encoding="ascii"), str(path))
    if not create:
        msg = (
            f"Ruang kerja ini sudah berisi data terenkripsi, tetapi kuncinya tidak ada ({path}, "
            f"{ENV_KEY}). Kunci baru tidak dibuat, karena tidak akan dapat membuka data itu: "
            "pasang kembali kunci dari cadangannya."
        )
        en = (
            f"This workspace already holds encrypted data but its key is missing ({path}, "
            f"{ENV_KEY}). No new key was made, as it could never open those data: put back "
            "the key from its backup."
        )
        raise WorkspaceError(msg, en=en)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode("ascii") + "\n")
    return key


class Sandi:
    """Seal and open values with the workspace key (AES-256-GCM).

    Parameters
    ----------
    key : bytes
        32 bytes, from :func:`load_key`.
    """

    def __init__(self, key: bytes) -> None:
        self._aes = AESGCM(key)

    def seal(self, value: object, tabel: str, kode_desa: str | None) -> bytes:
        """Encrypt a JSON-serialisable value bound to its table and desa.

        Returns
        -------
        bytes
            Nonce (12 bytes) followed by the ciphertext and its tag.
        """
        nonce = secrets.token_bytes(NONCE)
        data = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_jsonable
        ).encode("utf-8")
        return nonce + self._aes.encrypt(nonce, data, f"{tabel}|{kode_desa}".encode())

    def open_raw(self, blob: bytes, tabel: str, kode_desa: str | None) -> bytes:
        """Decrypt what :meth:`seal` made for the same table and desa, to its JSON bytes.

        Raises
        ------
        WorkspaceError
            When the key is not the one the value was sealed with, or the value was moved
            to another desa or table.
        """
        try:
            return self._aes.decrypt(
                bytes(blob[:NONCE]), bytes(blob[NONCE:]), f"{tabel}|{kode_desa}".encode()
            )
        except InvalidTag:
            msg = (
                "Data pribadi di ruang kerja tidak dapat dibuka: kunci ruang kerja bukan kunci "
                "yang dipakai saat impor (periksa LOKUS_WORKSPACE_KEY atau berkas kunci)."
            )
            en = (
                "Personal data in the workspace cannot be opened: the workspace key is not the "
                "one used at import (check LOKUS_WORKSPACE_KEY or the key file)."
            )
            raise WorkspaceError(msg, en=en) from None

    def open(self, blob: bytes, tabel: str, kode_desa: str | None) -> object:
        """Decrypt what :meth:`seal` made for the same table and desa (a JSON value).

        Raises
        ------
        WorkspaceError
            As :meth:`open_raw`.
        """
        return json.loads(self.open_raw(blob, tabel, kode_desa).decode("utf-8"))
