"""The image renditions of an asset, made with Pillow: ``medium`` (520 wide), ``square``
(440 x 440, centre crop) and ``thumbnail`` (64 x 64), the sizes v3 names too.

Pure functions of the bytes, run in a worker thread by the job. The EXIF orientation is
applied first, so a rotated phone photo comes out upright; :data:`MAX_IMAGE_PIXELS` (set
in :mod:`.asset.probe`) refuses bombs before anything is decoded. A JPEG is decoded at a
reduced scale (``draft``) when the largest rendition needs no more than that.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from tenantry.percolate.asset.probe import MAX_IMAGE_PIXELS, ImageRefused

MEDIUM_WIDTH = 520
SQUARE = 440
THUMBNAIL = 64


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    content_type: str
    data: bytes


def _encode(image: Image.Image, name: str) -> Rendition:
    out = io.BytesIO()
    transparent = image.mode in ("RGBA", "LA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if transparent:
        image.convert("RGBA").save(out, "PNG", optimize=False)
        kind = "image/png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=85)
        kind = "image/jpeg"
    return Rendition(name, image.width, image.height, kind, out.getvalue())


def render(data: bytes) -> list[Rendition]:
    """The three renditions of an image; :class:`ImageRefused` if it is not one we take."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_IMAGE_PIXELS:
                    raise ImageRefused(f"The image is {opened.width}x{opened.height} pixels.")
                if opened.format == "JPEG":
                    opened.draft("RGB", (MEDIUM_WIDTH, MEDIUM_WIDTH))
                image = ImageOps.exif_transpose(opened)
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRefused(f"The image is too large to process: {error}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRefused(f"The image cannot be read: {error}") from None
    width = min(MEDIUM_WIDTH, image.width)
    height = max(1, round(image.height * width / image.width))
    medium = image.resize((width, height), Image.Resampling.LANCZOS)
    square = ImageOps.fit(image, (SQUARE, SQUARE), Image.Resampling.LANCZOS)
    thumbnail = ImageOps.fit(square, (THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    return [
        _encode(medium, "medium"),
        _encode(square, "square"),
        _encode(thumbnail, "thumbnail"),
    ]
