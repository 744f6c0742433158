"""The hint to bring real data fits where the data came from (issue 18, tried as a desa operator)."""

from types import SimpleNamespace

from views.common import upload_hint


def test_a_workspace_snapshot_is_not_told_to_upload_beside():
    """A desa operator has no upload: the banner pointed to an upload "di samping" anyway."""
    ruang = upload_hint(SimpleNamespace(key="ruang:1@x:desa:1"), "berkas P3KE", "untuk data")
    assert "Unggah" not in ruang and "ruang kerja" in ruang
    sesi = upload_hint(SimpleNamespace(key="upload:abc"), "berkas P3KE", "untuk data")
    assert sesi.startswith("Unggah berkas P3KE") and "di samping" in sesi
