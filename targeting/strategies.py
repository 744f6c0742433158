"""Strategy schemes of poverty programmes: Inpres 4/2022 and Permendagri 53/2020, in one place.

A register tags each sub-activity with a strategy of one scheme. Lokus knows two:

Inpres 4/2022 (three strategies)
    1 reduce the expenditure burden, 2 raise income, 3 reduce the number of poverty pockets.
Permendagri 53/2020 (four strategies, TKPK)
    The four strategies of Perpres 15/2010 art. 3: (a) reduce the expenditure burden of the
    poor, (b) raise the capacity and income of the poor, (c) develop and sustain micro and
    small enterprises, (d) synergise poverty-reduction policies and programmes. Written
    ``P1``-``P4`` in a register.

A register tagged P1-P4 keeps its own four-strategy view. It maps to Inpres strategies only
where the aim is the same: P1 -> 1 (expenditure), P2 -> 2 (income), P3 -> 2 (enterprises raise
income). P4 (synergy of policies and programmes) has no Inpres counterpart: it is shown as its
own column, never folded into an Inpres strategy. No Permendagri strategy maps to Inpres 3
(pockets are a place, not an aim of the four). The mapping is Lokus's reading of the two texts,
stated wherever it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "INPRES",
    "INPRES_NOMOR",
    "PERMENDAGRI",
    "SKEMA",
    "Skema",
    "Strategi",
    "tanpa_padanan",
]


@dataclass(frozen=True)
class Strategi:
    """One strategy of a scheme.

    Attributes
    ----------
    kode : str
        Code as written in a register: ``"1"``-``"3"`` (Inpres) or ``"P1"``-``"P4"``.
    label : str
        Full name (Bahasa Indonesia, as in the regulation).
    singkat : str
        Short name for map layers and table headers.
    inpres : int or None
        The Inpres 4/2022 strategy with the same aim; None when there is none.
    warna : str
        Outline colour of its lokus layer on the map (ColorBrewer Dark2).
    """

    kode: str
    label: str
    singkat: str
    inpres: int | None
    warna: str


@dataclass(frozen=True)
class Skema:
    """A strategy scheme: its name, source and strategies in order.

    Attributes
    ----------
    nama : str
        ``"inpres"`` or ``"permendagri"``.
    judul : str
        Regulation, e.g. ``"Inpres 4/2022"``.
    sumber : str
        Where the strategies are written.
    strategi : tuple of Strategi
        The strategies, in the regulation's order.
    """

    nama: str
    judul: str
    sumber: str
    strategi: tuple[Strategi, ...]

    @property
    def kode(self) -> tuple[str, ...]:
        """Codes of the strategies, in order."""
        return tuple(s.kode for s in self.strategi)

    def get(self, kode: str) -> Strategi:
        """Return the strategy with this code.

        Parameters
        ----------
        kode : str
            ``"1"`` or ``"P3"``.

        Returns
        -------
        Strategi
            The strategy.

        Raises
        ------
        KeyError
            If the scheme has no such strategy (the message lists the codes).
        """
        for s in self.strategi:
            if s.kode == kode:
                return s
        msg = f"strategi {kode!r} tidak ada di {self.judul} (pilihan: {', '.join(self.kode)})"
        raise KeyError(msg)

    def tanpa_inpres(self) -> tuple[str, ...]:
        """Codes of the strategies without an Inpres 4/2022 counterpart (``("P4",)``)."""
        return tuple(s.kode for s in self.strategi if s.inpres is None)

    def pemetaan(self) -> str:
        """Describe the mapping to Inpres 4/2022 in one sentence (Bahasa Indonesia)."""
        parts = [
            f"{s.kode} -> Inpres {s.inpres}" if s.inpres else f"{s.kode} -> tanpa padanan Inpres"
            for s in self.strategi
        ]
        return f"{self.judul} ke Inpres 4/2022: " + "; ".join(parts)


INPRES = Skema(
    nama="inpres",
    judul="Inpres 4/2022",
    sumber="Inpres 4/2022 tentang Percepatan Penghapusan Kemiskinan Ekstrem, diktum kedua",
    strategi=(
        Strategi("1", "mengurangi beban pengeluaran", "beban pengeluaran", 1, "#1b9e77"),
        Strategi("2", "meningkatkan pendapatan", "pendapatan", 2, "#d95f02"),
        Strategi("3", "menurunkan jumlah kantong kemiskinan", "kantong kemiskinan", 3, "#e7298a"),
    ),
)
"""Inpres 4/2022: the three strategies of extreme-poverty eradication."""

PERMENDAGRI = Skema(
    nama="permendagri",
    judul="Permendagri 53/2020",
    sumber="Permendagri 53/2020 (TKPK), mengikuti Perpres 15/2010 pasal 3 huruf a-d",
    strategi=(
        Strategi(
            "P1", "mengurangi beban pengeluaran masyarakat miskin", "P1 beban pengeluaran", 1,
            "#1b9e77",
        ),
        Strategi(
            "P2", "meningkatkan kemampuan dan pendapatan masyarakat miskin", "P2 pendapatan", 2,
            "#d95f02",
        ),
        Strategi(
            "P3", "mengembangkan dan menjamin keberlanjutan usaha mikro dan kecil",
            "P3 usaha mikro dan kecil", 2, "#7570b3",
        ),
        Strategi(
            "P4", "mensinergikan kebijakan dan program penanggulangan kemiskinan",
            "P4 sinergi kebijakan", None, "#66a61e",
        ),
    ),
)  # fmt: skip
"""Permendagri 53/2020: the four strategies of Perpres 15/2010 art. 3, mapped to Inpres."""

INPRES_NOMOR = tuple(int(k) for k in INPRES.kode)
"""The Inpres 4/2022 strategy numbers, ``(1, 2, 3)``: the ``strategi`` column's values."""

SKEMA = {INPRES.nama: INPRES, PERMENDAGRI.nama: PERMENDAGRI}
"""The schemes by name."""


def tanpa_padanan() -> tuple[str, ...]:
    """Codes of Permendagri strategies without an Inpres counterpart (``("P4",)``)."""
    return PERMENDAGRI.tanpa_inpres()
