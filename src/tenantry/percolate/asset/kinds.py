"""What a file is: its content type from its first bytes, and the asset ``type`` it makes.

The client's declared type is only a hint: the bytes decide when they are recognisable, so a
PNG named ``.pdf`` is an image and a script uploaded as ``image/png`` is not shown as one.
"""

from __future__ import annotations

import mimetypes

from tenantry.core.storage import DEFAULT_CONTENT_TYPE

ASSET_TYPES = (
    "image",
    "audio",
    "video",
    "artwork",
    "pdf",
    "document",
    "presentation",
    "spreadsheet",
)
SNIFF_BYTES = 64
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"8BPS", 0, "image/vnd.adobe.photoshop"),
    (b"%PDF-", 0, "application/pdf"),
    (b"ID3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"fLaC", 0, "audio/flac"),
    (b"ftyp", 4, "video/mp4"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),
)
_OFFICE = {
    "application/msword": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.ms-powerpoint": "presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "presentation",
    "application/vnd.ms-excel": "spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "spreadsheet",
    "text/csv": "spreadsheet",
}


def sniff(head: bytes, declared: str | None, filename: str) -> str:
    """The content type: recognised bytes first, then the declared type, then the name."""
    for magic, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    guessed = declared or mimetypes.guess_type(filename)[0] or DEFAULT_CONTENT_TYPE
    if guessed.startswith("image/") and guessed != "image/svg+xml":
        return DEFAULT_CONTENT_TYPE  # claims to be a raster image, but the bytes are not one
    return guessed


def asset_type(content_type: str) -> str:
    """The asset ``type`` of a content type (the seed's eight)."""
    if content_type in ("image/vnd.adobe.photoshop", "application/postscript", "image/svg+xml"):
        return "artwork"
    major = content_type.split("/", 1)[0]
    if major in ("image", "audio", "video"):
        return major
    if content_type == "application/pdf":
        return "pdf"
    return _OFFICE.get(content_type, "document")
