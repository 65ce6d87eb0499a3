"""What Pillow can tell about an image without decoding it: size, orientation, EXIF extras.

``Image.open`` reads only the header, so a 50000x50000 PNG costs nothing here; it is refused
by :data:`MAX_IMAGE_PIXELS` before any decoding (Pillow's own bomb check as well).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import IO, Any

from PIL import ExifTags, Image, UnidentifiedImageError

MAX_IMAGE_PIXELS = 100_000_000
"""Larger images are refused (a 12 MP photo is 12 000 000; a decompression bomb billions)."""
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


class ImageRefused(Exception):
    """The file claims to be an image but cannot be one we process; the message says why."""


@dataclass
class ImageFacts:
    width: int
    height: int
    format: str
    exif: dict[str, Any] = field(default_factory=dict)


_EXIF_IN_HEADER = {"JPEG", "MPO", "TIFF"}
"""Formats whose EXIF sits before the pixels (elsewhere reading it would decode the image)."""
_ROTATED = {5, 6, 7, 8}
"""EXIF orientations whose displayed width and height are swapped."""


def orientation(width: int | None, height: int | None) -> str | None:
    if not width or not height:
        return None
    if width == height:
        return "square"
    return "landscape" if width > height else "portrait"


def _ratio(value: Any) -> Fraction | None:
    try:
        return Fraction(value).limit_denominator(10000)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _extras(image: Image.Image) -> tuple[dict[str, Any], int]:
    exif = image.getexif()
    if not exif:
        return {}, 1
    details = exif.get_ifd(ExifTags.IFD.Exif)
    found: dict[str, Any] = {}
    if maker := exif.get(ExifTags.Base.Make):
        found["device_maker"] = str(maker).strip("\x00 ")
    if model := exif.get(ExifTags.Base.Model):
        found["device_model"] = str(model).strip("\x00 ")
    if (focal := _ratio(details.get(ExifTags.Base.FocalLength))) is not None:
        found["focal_length"] = f"{float(focal):.2f} mm"
    if (iso := details.get(ExifTags.Base.ISOSpeedRatings)) is not None:
        found["iso"] = int(iso[0] if isinstance(iso, tuple) else iso)
    if (aperture := _ratio(details.get(ExifTags.Base.FNumber))) is not None:
        found["aperture"] = f"f/{float(aperture):g}"
    if (shutter := _ratio(details.get(ExifTags.Base.ExposureTime))) is not None:
        found["shutter_speed"] = f"{shutter.numerator}/{shutter.denominator}"
    if (flash := details.get(ExifTags.Base.Flash)) is not None:
        found["flash"] = bool(int(flash) & 1)
    turn = exif.get(ExifTags.Base.Orientation, 1)
    return found, int(turn) if isinstance(turn, int) else 1


def probe(source: IO[bytes] | bytes) -> ImageFacts:
    """Dimensions as displayed (EXIF orientation applied), format and EXIF extras."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageRefused(
                        f"The image is {width}x{height} pixels; at most"
                        f" {MAX_IMAGE_PIXELS} pixels are accepted."
                    )
                extras, turn = _extras(image) if image.format in _EXIF_IN_HEADER else ({}, 1)
                kind = (image.format or "").lower()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRefused(f"The image is too large to process: {error}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRefused(f"The image cannot be read: {error}") from None
    if turn in _ROTATED:
        width, height = height, width
    return ImageFacts(width, height, kind, extras)
