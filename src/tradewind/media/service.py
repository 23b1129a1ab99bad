"""A seller uploads a picture for a product it sells.

The sizes are written to the store first, under keys named by the upload's digest (so a retry
or a failed commit leaves at most a file nobody points at, and the same picture twice is the
same file); then catalog points the product at the large size in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.catalog import service as catalog
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.media.domain import CONTENT_TYPE, ImageLimits, process_image
from tradewind.media.ports import MediaStore

URL_PREFIX = "/media/"


@dataclass(frozen=True, slots=True)
class UploadedImage:
    product_id: str
    image_url: str  # the large size, what pages and JSON-LD show
    thumbnail_url: str
    width: int
    height: int


def thumbnail_url(image_url: str) -> str:
    """The small size of an uploaded picture (catalog pictures have only one size)."""
    if image_url.startswith(URL_PREFIX) and image_url.endswith("-large.webp"):
        return image_url.removesuffix("-large.webp") + "-thumb.webp"
    return image_url


def upload_product_image(
    uow: UnitOfWork,
    store: MediaStore,
    principal: Principal,
    product_id: str,
    data: bytes,
    limits: ImageLimits,
) -> UploadedImage:
    require_role(principal, Role.SELLER)
    catalog.check_may_picture(uow, principal, product_id)  # before any work on the bytes
    image = process_image(data, limits)
    keys = {}
    for rendition in image.renditions:
        key = f"products/{product_id.lower()}/{image.digest[:32]}-{rendition.name}.webp"
        store.put(key, rendition.data, CONTENT_TYPE)
        keys[rendition.name] = key
    url = URL_PREFIX + keys["large"]
    catalog.set_product_image(uow, principal, product_id, url)
    return UploadedImage(
        product_id=product_id,
        image_url=url,
        thumbnail_url=URL_PREFIX + keys["thumb"],
        width=image.renditions[0].width,
        height=image.renditions[0].height,
    )
