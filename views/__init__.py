"""Streamlit pages of Lokus. They read widgets, call ``geo``/``targeting`` and show results."""
