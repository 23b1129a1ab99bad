"""Uploaded pictures: the type comes from the bytes, limits hold before decoding, sizes are WebP."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tradewind.kernel.errors import InvalidInput, LimitExceeded
from tradewind.media.domain import ImageLimits, process_image


def picture(fmt: str, size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(
        out, format=fmt
    )
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_pictures_become_two_webp_sizes(fmt: str) -> None:
    done = process_image(picture(fmt), ImageLimits())
    assert done.source_format == fmt
    assert (done.width, done.height) == (800, 600)
    assert [(r.name, r.width, r.height) for r in done.renditions] == [
        ("large", 500, 375),
        ("thumb", 200, 150),
    ]
    for rendition in done.renditions:
        with Image.open(io.BytesIO(rendition.data)) as again:
            assert again.format == "WEBP"
            assert again.size == (rendition.width, rendition.height)


def test_transparency_is_kept() -> None:
    done = process_image(picture("PNG", mode="RGBA"), ImageLimits())
    with Image.open(io.BytesIO(done.renditions[0].data)) as again:
        assert again.mode == "RGBA"


def _refusal(data: bytes, limits: ImageLimits) -> tuple[str, str, str]:
    with pytest.raises((InvalidInput, LimitExceeded)) as caught:
        process_image(data, limits)
    (field,) = caught.value.errors
    return type(caught.value).__name__, caught.value.code, field.field


def test_what_is_not_a_picture_is_refused_with_a_clear_error() -> None:
    assert _refusal(b"%PDF-1.7 not a picture", ImageLimits()) == (
        "InvalidInput",
        "not_an_image",
        "image",
    )
    assert _refusal(b"", ImageLimits())[1] == "not_an_image"
    truncated = picture("PNG")[:200]
    assert _refusal(truncated, ImageLimits())[1] == "not_an_image"


def test_types_bytes_pixels_and_tiny_pictures_have_limits() -> None:
    assert _refusal(picture("GIF"), ImageLimits())[:2] == ("InvalidInput", "image_type_not_allowed")
    assert _refusal(picture("BMP", (300, 300)), ImageLimits())[1] == "image_type_not_allowed"
    big = picture("PNG")
    assert _refusal(big, ImageLimits(max_bytes=len(big) - 1))[:2] == (
        "LimitExceeded",
        "image_too_large",
    )
    assert _refusal(picture("PNG"), ImageLimits(max_pixels=800 * 600 - 1))[:2] == (
        "LimitExceeded",
        "image_too_many_pixels",
    )
    assert _refusal(picture("PNG", (99, 400)), ImageLimits())[1] == "image_too_small"


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    """PNGs of one colour: a few hundred kilobytes, but 400 M pixels (over Pillow's own bomb
    limit) and 100 M (under it, over ours)."""
    for side in (20_000, 10_000):
        out = io.BytesIO()
        Image.new("1", (side, side)).save(out, format="PNG")
        assert len(out.getvalue()) < 1_000_000
        refused = _refusal(out.getvalue(), ImageLimits())
        assert refused[:2] == ("LimitExceeded", "image_too_many_pixels")
