"""Product pictures: sellers upload them (multipart), everyone loads the stored sizes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tradewind.kernel.errors import FieldError, LimitExceeded, NotFound
from tradewind.kernel.problems import ProblemCode
from tradewind.media import service as media
from tradewind.media.domain import FIELD
from tradewind.media.ports import valid_key
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES

router = APIRouter(tags=["catalog"], responses=PROBLEM_RESPONSES)


class ProductImageIn(BaseModel):
    """The multipart form: one file field, ``image``."""

    image: UploadFile = Field(description="JPEG, PNG or WebP")


class ProductImageOut(BaseModel):
    product_id: str
    image_url: str
    thumbnail_url: str
    width: int
    height: int


def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes (already spooled by the form parser, within the body limit), refused
    when over ``max_bytes``."""
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        detail = f"the picture is over {max_bytes} bytes"
        raise LimitExceeded(
            detail,
            code=ProblemCode.IMAGE_TOO_LARGE,
            errors=[FieldError(FIELD, detail, ProblemCode.IMAGE_TOO_LARGE)],
        )
    return data


@router.post("/api/v1/products/{product_id}/image", response_model=ProductImageOut, status_code=201)
def upload_product_image(
    product_id: Annotated[str, Path(max_length=64)],
    form: Annotated[ProductImageIn, File()],
    principal: PrincipalDep,
    container: ContainerDep,
) -> ProductImageOut:
    """A seller's picture for a product its shop sells: checked (type from the bytes, size,
    pixel count), re-encoded as WebP at 500 and 200 pixels, and shown on every page."""
    data = read_limited(form.image, container.image_limits.max_bytes)
    with container.uow() as uow:
        done = media.upload_product_image(
            uow, container.media, principal, product_id, data, container.image_limits
        )
        uow.commit()
    return ProductImageOut(
        product_id=done.product_id,
        image_url=done.image_url,
        thumbnail_url=done.thumbnail_url,
        width=done.width,
        height=done.height,
    )


@router.get("/media/{key:path}", include_in_schema=False)
def media_file(key: str, container: ContainerDep) -> Response:
    """A stored picture; its name is its content's digest, so it may be cached for good."""
    found = container.media.get(key) if valid_key(key) else None
    if found is None:
        raise NotFound("no such picture")
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
