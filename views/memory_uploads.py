"""Keep uploaded files in memory: never spooled to a temporary file on disk.

Streamlit parses an upload with Starlette's multipart parser, which writes any part larger
than 1 MB to an (unnamed, deleted) temporary file before Streamlit reads it into memory. A
P3KE export is personal data (UU 27/2022) and several MB, so it would touch the disk. Raising
the parser's spool threshold to the upload limit keeps every part in memory; Streamlit reads
the whole file into memory right after anyway, and its own size cap (``server.maxUploadSize``)
still bounds a request.
"""

from __future__ import annotations

import streamlit as st


def install() -> bool:
    """Raise Starlette's multipart spool threshold to ``server.maxUploadSize`` (idempotent).

    Returns
    -------
    bool
        True when the threshold is set; False when this Streamlit does not parse uploads with
        Starlette (nothing to change).
    """
    try:
        from starlette.formparsers import MultiPartParser
    except ImportError:  # pragma: no cover - older Streamlit (Tornado) reads into memory
        return False
    limit_mb = int(st.get_option("server.maxUploadSize") or 200)
    # a little above the limit: the multipart framing is counted too
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, (limit_mb + 1) << 20)
    return True
