"""Uploads: checked for count, size and type before anything is written."""
from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from helpdesk.core.text_checks import invisible_character
from helpdesk.access import can_view_ticket, ensure_active, get_by_id
from helpdesk.core.config import UploadPolicy, upload_policy
from helpdesk.core.errors import NotFound
from helpdesk.models import Attachment, Ticket, User

# Magic numbers for the types a browser can render: the content must agree with the name,
# so an HTML page renamed to .png is refused.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "pdf": (b"%PDF-",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "pptx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",), "odp": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",), "ppt": (b"\xd0\xcf\x11\xe0",),
}
_TEXT_TYPES = {"txt", "log", "csv"}
NO_SUCH_ATTACHMENT = "No such attachment."


@dataclass(frozen=True)
class UploadedFile:
    """A file as the page received it (Streamlit's UploadedFile reduced to plain data)."""

    filename: str
    content: bytes


def clean_filename(name: str) -> str:
    """A name safe to show and to offer for download: no path, no control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".") or "file"
    return name[-200:]


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def upload_problems(files: list[UploadedFile], policy: UploadPolicy | None = None) -> str | None:
    """What is wrong with these uploads, in one message for the attachments field, or None."""
    policy = policy or upload_policy()
    if len(files) > policy.max_files:
        return f"Attach at most {policy.max_files} files (you chose {len(files)})."
    limit_mb = policy.max_bytes / (1024 * 1024)
    for upload in files:
        name = clean_filename(upload.filename)
        if (hidden := invisible_character(upload.filename)) is not None:
            return (f"“{name}” has an invisible control character ({hidden}) in its "
                    "name, which can disguise what the file is. Rename it and attach it again.")
        ext = extension_of(name)
        if ext not in policy.allowed_extensions:
            allowed = ", ".join(policy.allowed_extensions)
            return f"“{name}” is not an allowed type. Allowed: {allowed}."
        if len(upload.content) == 0:
            return f"“{name}” is empty."
        if len(upload.content) > policy.max_bytes:
            return f"“{name}” is larger than {limit_mb:g} MB."
        if not _content_matches(ext, upload.content):
            return f"“{name}” doesn't look like a .{ext} file."
    return None


def _content_matches(ext: str, content: bytes) -> bool:
    if ext in _TEXT_TYPES:
        try:
            content[:65536].decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the sample's end is fine.
            if exc.start < len(content[:65536]) - 4:
                return False
        return b"\x00" not in content[:65536]
    if ext == "webp" and content[8:12] != b"WEBP":  # RIFF alone is also WAV and AVI
        return False
    signatures = _SIGNATURES.get(ext)
    return signatures is None or content.startswith(signatures)


# Fixed types for the default allow-list: the host's mime.types varies (.log is unknown on
# many systems, which would make a log file download as an opaque binary).
_CONTENT_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain", "log": "text/plain", "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def content_type_for(name: str) -> str:
    # From the checked extension, never from what the browser claimed.
    return (_CONTENT_TYPES.get(extension_of(name)) or mimetypes.guess_type(name)[0]
            or "application/octet-stream")


def build_attachments(*, ticket: Ticket, uploader: User, files: list[UploadedFile]) -> list[Attachment]:
    """Attachment rows for already-validated uploads."""
    rows = []
    for upload in files:
        name = clean_filename(upload.filename)
        rows.append(Attachment(
            ticket_id=ticket.id,
            uploaded_by_id=uploader.id,
            filename=name,
            content_type=content_type_for(name),
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
            content=upload.content,
        ))
    return rows


def get_attachment(*, session: Session, actor: User, attachment_id: int) -> Attachment:
    """An attachment with its content, if the actor may see the ticket and the message."""
    actor = ensure_active(actor)
    # One answer for "no such file", "someone else's file" and "an internal note's file",
    # so attachment ids can't be probed.
    attachment = get_by_id(session, Attachment, attachment_id)
    if attachment is None or not can_view_ticket(actor, session.get(Ticket, attachment.ticket_id)):
        raise NotFound(NO_SUCH_ATTACHMENT)
    if attachment.message is not None and not attachment.message.is_public and not actor.is_staff:
        raise NotFound(NO_SUCH_ATTACHMENT)
    attachment.content  # load the deferred column inside the session
    return attachment
