"""Coordinate reference systems: require one, choose the metric CRS, convert for display.

Storage and display use EPSG:4326 (longitude, latitude; RFC 7946 GeoJSON). Distances, areas,
buffers and clustering use one metric CRS per region, the UTM zone that
``GeoDataFrame.estimate_utm_crs`` picks from the data (EPSG:32749, UTM 49S, for Kayong Utara)
unless the region setting names one.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import pyproj
from shapely.geometry import box

from geo.errors import CRSError

__all__ = ["DISPLAY_CRS", "choose_metric_crs", "require_crs", "to_display"]

DISPLAY_CRS = pyproj.CRS.from_epsg(4326)


def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, source: str) -> pyproj.CRS:
    """Return the CRS of a layer, refusing a layer without one.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        Any spatial layer.
    source : str
        Name of the file or layer, used in the error message.

    Returns
    -------
    pyproj.CRS
        The layer's CRS.

    Raises
    ------
    CRSError
        If ``gdf.crs`` is None. Lokus never assumes a CRS (osmnx ``project_gdf`` does the same).
    """
    if gdf.crs is None:
        msg = (
            f"{source}: lapisan tidak memiliki sistem koordinat (CRS). Lokus tidak menebak CRS. "
            "Perbaikan: simpan ulang berkas dengan CRS (mis. EPSG:4326) atau set dengan "
            "gdf.set_crs(...) bila CRS aslinya diketahui."
        )
        en = (
            f"{source}: the layer has no coordinate reference system (CRS). Lokus never "
            "guesses a CRS. Fix: save the file again with its CRS (e.g. EPSG:4326), or set it "
            "with gdf.set_crs(...) if the original CRS is known."
        )
        raise CRSError(msg, en=en)
    return pyproj.CRS.from_user_input(gdf.crs)


def choose_metric_crs(
    gdf: gpd.GeoDataFrame, *, setting: str | int | pyproj.CRS | None = None
) -> pyproj.CRS:
    """Choose the metric CRS for a region.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The region's desa polygons, in any CRS (required).
    setting : str, int, pyproj.CRS or None, optional
        A CRS named by the region setting. When given, it must be projected with metre units.

    Returns
    -------
    pyproj.CRS
        ``setting`` when given, else the UTM zone of the data's centre
        (``GeoDataFrame.estimate_utm_crs``).

    Raises
    ------
    CRSError
        If the layer has no CRS, if ``setting`` is geographic or not in metres, or if no UTM
        zone can be estimated.
    """
    require_crs(gdf, source="batas desa")
    if setting is not None:
        crs = pyproj.CRS.from_user_input(setting)
        unit = crs.axis_info[0].unit_name if crs.axis_info else ""
        if not crs.is_projected or unit not in ("metre", "meter"):
            msg = (
                f"CRS metrik wilayah harus terproyeksi dalam meter, diterima {crs.to_string()} "
                f"(satuan {unit or 'tidak diketahui'}). Contoh: EPSG:32749 (UTM 49S)."
            )
            en = (
                f"the region's metric CRS must be projected in metres, got {crs.to_string()} "
                f"(unit {unit or 'unknown'}). Example: EPSG:32749 (UTM 49S)."
            )
            raise CRSError(msg, en=en)
        return crs
    try:
        crs = _estimated_utm(gdf)
    except RuntimeError as err:  # pyproj finds no zone
        msg = f"zona UTM tidak dapat ditentukan dari data: {err}. Setel metric_crs di wilayah."
        en = f"no UTM zone could be estimated from the data: {err}. Set metric_crs in the region."
        raise CRSError(msg, en=en) from err
    return pyproj.CRS.from_user_input(crs)


def _estimated_utm(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """``gdf.estimate_utm_crs()``, remembered by the bounds it depends on.

    geopandas takes the centre of the layer's bounds in degrees and asks the PROJ database
    (about 60 ms a call); the pipeline asks again for every run on the same boundaries.
    """
    crs = pyproj.CRS.from_user_input(gdf.crs)
    if crs.is_geographic:
        bounds = gdf.total_bounds
    else:  # geopandas reprojects to EPSG:4326 first, and so does this
        crs, bounds = DISPLAY_CRS, gdf.geometry.values.to_crs(DISPLAY_CRS).total_bounds
    return _utm_of_bounds(crs.to_wkt(), tuple(float(b) for b in bounds))


@functools.lru_cache(maxsize=64)
def _utm_of_bounds(crs_wkt: str, bounds: tuple[float, float, float, float]) -> pyproj.CRS:
    return gpd.GeoSeries([box(*bounds)], crs=crs_wkt).estimate_utm_crs()


def to_display(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject a layer to EPSG:4326 for maps and GeoJSON.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer with a CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    """
    require_crs(gdf, source="lapisan")
    if pyproj.CRS.from_user_input(gdf.crs) == DISPLAY_CRS:
        return gdf.copy()
    return gdf.to_crs(DISPLAY_CRS)
