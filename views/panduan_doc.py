"""PANDUAN.md split into text and image blocks, for the in-app "Panduan" page.

``st.markdown`` cannot load an image from a repository path (``docs/panduan/01_peta.png``)
and the app runs offline, so the page shows the text with ``st.markdown`` and each image with
``st.image`` from the file itself: no static-file route, no HTML rewriting.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["PANDUAN", "ROOT", "blocks", "image_paths"]

ROOT = Path(__file__).resolve().parent.parent
PANDUAN = ROOT / "PANDUAN.md"
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)\)\s*$")


def blocks(text: str) -> list[tuple[str, str, str]]:
    """Split a Markdown guide into text blocks and image lines.

    Parameters
    ----------
    text : str
        Markdown; an image is a line of its own, ``![alt](relative/path.png)``.

    Returns
    -------
    list of tuple
        ``("teks", markdown, "")`` or ``("gambar", path relative to the repository, alt)``,
        in document order; empty text blocks are left out.

    Examples
    --------
    >>> blocks("# A\\n![peta](docs/p.png)\\nB\\n")
    [('teks', '# A', ''), ('gambar', 'docs/p.png', 'peta'), ('teks', 'B', '')]
    """
    out: list[tuple[str, str, str]] = []
    buffer: list[str] = []

    def flush() -> None:
        chunk = "\n".join(buffer).strip()
        if chunk:
            out.append(("teks", chunk, ""))
        buffer.clear()

    for line in text.splitlines():
        m = _IMAGE.match(line.strip())
        if m:
            flush()
            out.append(("gambar", m["path"], m["alt"]))
        else:
            buffer.append(line)
    flush()
    return out


def image_paths(text: str) -> list[Path]:
    """Absolute paths of the images a guide shows.

    Parameters
    ----------
    text : str
        Markdown (see :func:`blocks`).

    Returns
    -------
    list of pathlib.Path
        One per image line, resolved against the repository root.
    """
    return [ROOT / path for kind, path, _ in blocks(text) if kind == "gambar"]
