"""Mask NIK and No KK digit runs in everything the app process logs.

Lokus never logs personal data itself, but an unexpected error's message or traceback can
quote a cell (pandas does: ``invalid literal ... '9911010101800001'``), and Streamlit logs
uncaught errors in full. :func:`install` wraps the logging record factory so that every
record created in the process has its message, traceback and stack masked before any
handler sees it: digit runs long enough to be a NIK or No KK (12 or more digits) become
``9911********0001``. Names and addresses cannot be recognised; Lokus's own messages never
hold them.
"""

from __future__ import annotations

import logging

from geo.masking import mask_ids

__all__ = ["install", "mask_ids", "mask_record"]


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the message, the traceback (formatted now) and the stack of a log record."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: logging reports it when the record is written
        return record
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_ids(record.exc_text)
        record.exc_info = None  # the masked text is what handlers write
    if record.stack_info:
        record.stack_info = mask_ids(record.stack_info)
    record.msg, record.args = mask_ids(message), None
    return record


def install() -> bool:
    """Mask every log record created from now on in this process (idempotent).

    Returns
    -------
    bool
        True when installed now, False when it already was.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "lokus_mask_ids", False):
        return False

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    factory.lokus_mask_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    return True
