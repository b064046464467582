"""Show a service's ValidationError next to the field it is about."""
from __future__ import annotations

import streamlit as st

from helpdesk.core.config import upload_policy
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.ui.plain_text import plain


def field_error(errors: dict[str, str] | None, field: str) -> None:
    if errors and field in errors:
        st.error(plain(errors[field]), icon=":material/error:")


def form_errors(errors: dict[str, str] | None) -> None:
    """Errors that belong to no single field."""
    if errors and "__all__" in errors:
        st.error(plain(errors["__all__"]), icon=":material/error:")


def uploads_from(widget_value) -> list[UploadedFile]:
    """Streamlit's uploaded files as plain data for the services."""
    if not widget_value:
        return []
    files = widget_value if isinstance(widget_value, list) else [widget_value]
    return [UploadedFile(filename=f.name, content=f.getvalue()) for f in files]


def request_reset(form: str) -> None:
    """Ask for an empty form on the next run (after a successful save)."""
    st.session_state[f"{form}__reset"] = True
    st.session_state[f"{form}__generation"] = st.session_state.get(f"{form}__generation", 0) + 1


def apply_reset(form: str, defaults: dict) -> None:
    """Call before the form's widgets exist: a widget's value can only be set before it is drawn."""
    if st.session_state.pop(f"{form}__reset", False):
        for key, value in defaults.items():
            st.session_state[key] = value


# How much bigger than the upload limit a file may be and still reach the service, which then
# names it and says why; a larger one the uploader refuses itself, beside the field.
UPLOAD_HEADROOM_MB = 15


def attachments_input(label: str, form: str):
    """The attachment picker of every form that takes files. It lets every type and size up to
    the headroom through to the service instead of filtering in the browser: a file the browser
    drops is gone without a word, while the service names each file it refuses and why, before
    anything is saved (the whole form is refused, nothing typed is lost)."""
    policy = upload_policy()
    return st.file_uploader(
        label, accept_multiple_files=True, key=uploader_key(form),
        help=f"Up to {policy.max_files} files of at most {policy.max_bytes / (1024 * 1024):g} MB each: "
             + ", ".join(policy.allowed_extensions) + ".",
        max_upload_size=max(1, policy.max_bytes // (1024 * 1024)) + UPLOAD_HEADROOM_MB)


def uploader_key(form: str) -> str:
    """File uploaders can't be emptied through session state, so a saved form gets a new one."""
    return f"{form}_files_{st.session_state.get(f'{form}__generation', 0)}"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size / (1024 * 1024):,.1f} MB"
