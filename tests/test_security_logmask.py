"""NIK-length digit runs are masked in the app's log, messages and tracebacks alike."""

from __future__ import annotations

import io
import logging

from views import logmask

NIK = "9999000011112222"


def test_mask_ids():
    assert logmask.mask_ids(f"nik {NIK}, kk 99990000333344445") == (
        "nik 9999********2222, kk 9999*********4445"
    )
    assert logmask.mask_ids("kode 6111012001 desil 1") == "kode 6111012001 desil 1"


def test_log_records_are_masked_before_any_handler_sees_them():
    stream = io.StringIO()
    logger = logging.getLogger("streamlit.lokus_uji_logmask")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    factory = logging.getLogRecordFactory()
    try:
        logmask.install()
        assert logmask.install() is False  # idempotent
        logger.error("baris dengan %s", NIK)
        try:
            int(f"x{NIK}")
        except ValueError:
            logger.exception("Uncaught app execution")
        logger.error("stack", stack_info=True)
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(factory)
    out = stream.getvalue()
    assert NIK not in out
    assert out.count("9999********2222") == 2  # the message and the exception line
    assert "Traceback" in out


def test_uploads_are_never_spooled_to_disk():
    """Starlette would write any upload part above 1 MB to a temporary file."""
    from starlette.formparsers import MultiPartParser

    from views import memory_uploads

    assert memory_uploads.install()
    assert MultiPartParser.spool_max_size > 200 * 1024 * 1024  # server.maxUploadSize is 200 MB


def test_one_masking_helper_for_logs_messages_and_reports():
    import geo.masking
    import geo.sheets

    assert logmask.mask_ids is geo.masking.mask_ids
    assert geo.sheets.mask_ids is geo.masking.mask_ids
