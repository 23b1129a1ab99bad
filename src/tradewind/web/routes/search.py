"""Product search and search-as-you-type suggestions (anonymous, read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tradewind.search import service as search
from tradewind.web.deps import ContainerDep
from tradewind.web.reads import ReadsDep
from tradewind.web.schemas import DEFAULT_PAGE_SIZE, PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/search", tags=["search"], responses=PROBLEM_RESPONSES)

Text = Annotated[str, Query(min_length=1, max_length=search.MAX_QUERY_CHARS, description="Query")]
Currency = Annotated[
    str, Query(pattern="^[A-Z]{3}$", description="The buyer's currency (ISO 4217): prices")
]
Values = Annotated[list[str] | None, Query(max_length=20)]


class SearchHitOut(BaseModel):
    product_id: str
    title: str
    title_language: str
    original_title: str
    original_language: str
    brand: str
    model: str
    category: str
    image_url: str | None
    score: float
    matched_clauses: int
    offer_count: int
    in_stock: bool
    lowest_price_minor: int | None
    currency: str
    delivered_price_minor: int | None


class SearchFacetValue(BaseModel):
    value: str
    count: int


class SearchFacets(BaseModel):
    brand: list[SearchFacetValue]
    category: list[SearchFacetValue]
    ship_from: list[SearchFacetValue]
    seller_rating: list[SearchFacetValue]
    in_stock: int
    min_price_minor: int | None
    max_price_minor: int | None
    # More products matched than facets count (FACET_CAP, 1,000): the counts are of the
    # engine's first 1,000; ``total`` is exact either way.
    approximate: bool


class SearchPage(BaseModel):
    query: str
    match: str
    total: int
    # Ranked results after the total's products that match only some of the words ("all"
    # mode only): the list shows total + partial products at most, never a contradiction.
    partial: int
    items: list[SearchHitOut]
    next_cursor: str | None
    facets: SearchFacets | None
    interpretation: list[list[str]]
    corrected: str | None


Language = Annotated[
    str,
    Query(
        pattern="^(en|he|zh|de)$",
        description="Titles in this language where the product has them (else its own, else en)",
    ),
]


def _hit(hit: search.SearchHit) -> SearchHitOut:
    return SearchHitOut.model_validate(hit, from_attributes=True)


@router.get("", response_model=SearchPage)
def search_products(
    container: ContainerDep,
    reads: ReadsDep,
    q: Text,
    currency: Currency = "USD",
    brand: Values = None,
    category: Values = None,
    ship_from: Annotated[list[str] | None, Query(max_length=20, description="Countries")] = None,
    min_price: Annotated[int | None, Query(ge=0, le=10**12, description="Minor units")] = None,
    max_price: Annotated[int | None, Query(ge=0, le=10**12, description="Minor units")] = None,
    min_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
    in_stock: bool = False,
    free_shipping: bool = False,
    sort: search.Sort = search.Sort.RELEVANCE,
    destination: Annotated[
        str | None,
        Query(pattern="^[A-Z]{2}$", description="Buyer's country: prices delivered there"),
    ] = None,
    lang: Language = "en",
    facets: bool = True,
    limit: Annotated[int, Query(ge=1, le=search.MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    after: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,4}$", description="next_cursor of the previous page")
    ] = None,
) -> SearchPage:
    """Ranked products; filters narrow, facets count the whole filtered match set."""
    request = search.SearchRequest(
        text=q,
        currency=currency,
        filters=search.SearchFilters(
            brands=tuple(brand or ()),
            categories=tuple(category or ()),
            ship_from=tuple(ship_from or ()),
            min_price_minor=min_price,
            max_price_minor=max_price,
            min_rating=min_rating,
            in_stock=in_stock,
            free_shipping=free_shipping,
        ),
        limit=limit,
        offset=int(after or 0),
        with_facets=facets,
        language=lang,
        sort=sort,
        destination=destination,
    )
    with reads() as uow:
        result = search.search(uow, request)
    return SearchPage(
        query=result.query,
        match=result.match,
        total=result.total,
        partial=result.partial,
        items=[_hit(h) for h in result.hits],
        next_cursor=None if result.next_offset is None else str(result.next_offset),
        facets=None
        if result.facets is None
        else SearchFacets.model_validate(result.facets, from_attributes=True),
        interpretation=result.interpretation,
        corrected=result.corrected,
    )


class SuggestOut(BaseModel):
    query: str
    completions: list[str]
    products: list[SearchHitOut]


@router.get("/suggest", response_model=SuggestOut)
def suggest(
    container: ContainerDep,
    reads: ReadsDep,
    q: Text,
    limit: Annotated[int, Query(ge=1, le=search.MAX_SUGGESTIONS)] = 8,
    currency: Currency = "USD",
    lang: Language = "en",
) -> SuggestOut:
    """Search-as-you-type: the last word completed, and the best products for the text so far."""
    with reads() as uow:
        found = search.suggest(uow, q, limit=limit, currency=currency, language=lang)
    return SuggestOut(
        query=found.query,
        completions=found.completions,
        products=[_hit(h) for h in found.products],
    )
