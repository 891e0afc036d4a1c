"""What a case will accept as an attachment: known file types, checked by content, within size."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from core.domain.errors import InvalidCommand

__all__ = ["ALLOWED_TYPES", "MAX_ATTACHMENTS_PER_CASE", "CheckedAttachment", "check_attachment"]

MAX_ATTACHMENTS_PER_CASE = 20

# Declared type -> leading bytes the content must start with (None: no signature to check).
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": None,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/msword": (b"\xd0\xcf\x11\xe0",),
}

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\\:*?\"<>|]")


@dataclass(frozen=True, slots=True)
class CheckedAttachment:
    """An attachment that passed the checks, with its digest."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


def check_attachment(filename: str, content_type: str, data: bytes, *, max_bytes: int) -> CheckedAttachment:
    """Accept a file or say exactly why not.

    Raises:
        InvalidCommand: empty, too large, an unknown type, content that is not what it claims,
            or text that is not UTF-8.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in ALLOWED_TYPES:
        allowed = "PDF、PNG、JPEG、TXT、DOC、DOCX、XLSX"
        raise InvalidCommand(f"不支持的附件类型“{media_type or '未知'}”，可上传：{allowed}", field="file")
    if not data:
        raise InvalidCommand("附件为空 (empty file)", field="file")
    if len(data) > max_bytes:
        raise InvalidCommand(f"附件超过 {max_bytes // 1024} KB 的上限 (file too large)", field="file")
    signatures = ALLOWED_TYPES[media_type]
    if signatures is not None and not data.startswith(signatures):
        raise InvalidCommand(f"附件内容与声明的类型 {media_type} 不符", field="file")
    if signatures is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCommand("文本附件须为 UTF-8 编码", field="file") from None
    name = unicodedata.normalize("NFC", filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")[:200] or "附件"
    return CheckedAttachment(name, media_type, data, hashlib.sha256(data).hexdigest())
