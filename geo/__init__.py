"""Geometry layer of Lokus: regions, boundaries, codes, CRS and placement of households.

Everything here is pure Python on pandas/geopandas objects and never imports Streamlit.
"""

__all__: list[str] = []
