"""Show a service's ValidationError next to the field it is about."""
from __future__ import annotations

import streamlit as st

from helpdesk.services.attachments import UploadedFile


def field_error(errors: dict[str, str] | None, field: str) -> None:
    if errors and field in errors:
        st.error(errors[field], icon=":material/error:")


def form_errors(errors: dict[str, str] | None) -> None:
    """Errors that belong to no single field."""
    if errors and "__all__" in errors:
        st.error(errors["__all__"], icon=":material/error:")


def uploads_from(widget_value) -> list[UploadedFile]:
    """Streamlit's uploaded files as plain data for the services."""
    if not widget_value:
        return []
    files = widget_value if isinstance(widget_value, list) else [widget_value]
    return [UploadedFile(filename=f.name, content=f.getvalue()) for f in files]
