"""What an uploaded picture must be, and the sizes made from it (Pillow; no I/O).

The type is what Pillow finds in the bytes, never the name or the Content-Type the client
sent. The pixel count is checked from the header before any pixel is decoded, so a small file
that would expand to gigabytes (a decompression bomb) is refused cheaply. Every size is
re-encoded (WebP): metadata such as EXIF location is dropped, and the picture is turned the way
its EXIF orientation says first.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from tradewind.kernel.errors import FieldError, InvalidInput, LimitExceeded
from tradewind.kernel.problems import ProblemCode

ACCEPTED_FORMATS: Final = frozenset({"JPEG", "PNG", "WEBP"})
SIZES: Final = (("large", 500), ("thumb", 200))  # longest side in pixels
CONTENT_TYPE: Final = "image/webp"
FIELD: Final = "image"


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int = 1_000_000
    max_pixels: int = 25_000_000  # width x height of the original
    min_side: int = 100  # a product picture smaller than this is not worth showing
    formats: frozenset[str] = field(default=ACCEPTED_FORMATS)


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str  # "large", "thumb"
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    digest: str  # sha256 of the upload, hex: names the stored files
    source_format: str
    width: int
    height: int
    renditions: tuple[Rendition, ...]


def _refuse(detail: str, code: ProblemCode, *, limit: bool = False) -> InvalidInput | LimitExceeded:
    cls = LimitExceeded if limit else InvalidInput
    return cls(detail, code=code, errors=[FieldError(FIELD, detail, code)])


def process_image(data: bytes, limits: ImageLimits) -> ProcessedImage:
    """Check ``data`` against ``limits`` and make every size in :data:`SIZES`."""
    if not data:
        raise _refuse("the file is empty", ProblemCode.NOT_AN_IMAGE)
    if len(data) > limits.max_bytes:
        raise _refuse(
            f"the picture is {len(data)} bytes; at most {limits.max_bytes} are accepted",
            ProblemCode.IMAGE_TOO_LARGE,
            limit=True,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(
            f"the picture has more than {limits.max_pixels} pixels",
            ProblemCode.IMAGE_TOO_MANY_PIXELS,
            limit=True,
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise _refuse(
            "this file is not a picture (JPEG, PNG or WebP)", ProblemCode.NOT_AN_IMAGE
        ) from exc
    with image:
        kind = image.format or ""
        if kind not in limits.formats:
            raise _refuse(
                f"{kind or 'this'} pictures are not accepted; use JPEG, PNG or WebP",
                ProblemCode.IMAGE_TYPE_NOT_ALLOWED,
            )
        width, height = image.size
        if width * height > limits.max_pixels:
            raise _refuse(
                f"the picture has {width * height} pixels; at most {limits.max_pixels}",
                ProblemCode.IMAGE_TOO_MANY_PIXELS,
                limit=True,
            )
        if min(width, height) < limits.min_side:
            raise _refuse(
                f"the picture is {width}x{height}; each side needs {limits.min_side} pixels",
                ProblemCode.IMAGE_TOO_SMALL,
            )
        renditions = _renditions(image)
    return ProcessedImage(
        digest=hashlib.sha256(data).hexdigest(),
        source_format=kind,
        width=width,
        height=height,
        renditions=renditions,
    )


def _renditions(image: Image.Image) -> tuple[Rendition, ...]:
    try:
        upright = ImageOps.exif_transpose(image)
        mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
        base = upright.convert(mode)
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt pixel data
        raise _refuse("this file is damaged and cannot be read", ProblemCode.NOT_AN_IMAGE) from exc
    made = []
    for name, side in SIZES:
        copy = base.copy()
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, format="WEBP", quality=85, method=4)
        made.append(Rendition(name, out.getvalue(), copy.width, copy.height))
    return tuple(made)
