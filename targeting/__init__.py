"""Targeting layer of Lokus: indicators per desa, maps, the pipeline and the CLI.

Pure functions on pandas/geopandas objects; never imports Streamlit.
"""

__all__: list[str] = []
