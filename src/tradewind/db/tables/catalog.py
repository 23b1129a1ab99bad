"""Sellers (shops), master products and offers. Stock moves through ``tradewind.catalog.stock``."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

sellers = Table(
    "sellers",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("account_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("ship_from", JSON, nullable=False),
    Column("handling_days", Integer, nullable=False),
    Column("commission_bps", Integer, nullable=True),
    Column("rating_sum", Integer, nullable=False, server_default="0"),
    Column("rating_count", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("approved_at", UtcDateTime(), nullable=True),
    # good, warned or paused under the quality rules (tradewind.quality); paused: no new
    # listings and no payouts until an operator reinstates the shop
    Column("quality_level", String(16), nullable=False, server_default="good"),
    # the application's own words (NULL for shops that applied before they were asked)
    Column("sells", String(500), nullable=True),
    Column("contact", String(200), nullable=True),
    # the operator's last decision on the shop, with why: the seller center shows it
    Column("decision_reason", String(500), nullable=True),
    CheckConstraint("status IN ('pending', 'active', 'suspended', 'rejected')", name="status"),
    CheckConstraint("handling_days BETWEEN 0 AND 30", name="handling_days"),
)

products = Table(
    "products",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    # Where an imported product came from ("chorus:3920564"): re-imports find it and skip it.
    Column("source_ref", String(100), nullable=True, unique=True),
    Column("gtin", String(14), nullable=True, index=True),
    Column("brand", String(100), nullable=False),
    Column("title", String(500), nullable=False),
    Column("model", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("category", String(100), nullable=False, index=True),
    Column("hs_code", String(6), nullable=False),
    Column("origin_country", String(2), nullable=False),
    Column("weight_g", Integer, nullable=False),
    Column("length_mm", Integer, nullable=False),
    Column("width_mm", Integer, nullable=False),
    Column("height_mm", Integer, nullable=False),
    Column("image_url", String(500), nullable=True),
    # The language the seller wrote title and description in (ISO 639-1): the fallback of every
    # other language's view of the product. product_texts holds the translations.
    Column("language", String(8), nullable=False, server_default="en"),
    Column("created_by", String(ID_LEN), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("weight_g > 0", name="weight_positive"),
)

# A product's title and description in another language, given by the seller (API, listing
# form, CSV columns title_he/description_zh...) or by the demo catalog's translations file.
product_texts = Table(
    "product_texts",
    metadata,
    Column("product_id", String(ID_LEN), ForeignKey("products.id"), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False),
)

offers = Table(
    "offers",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("product_id", String(ID_LEN), ForeignKey("products.id"), nullable=False),
    Column("seller_id", String(ID_LEN), ForeignKey("sellers.id"), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # Units a checkout can still reserve. Decremented only by a conditional UPDATE
    # (stock >= wanted) and guarded by the CHECK, so it can never go negative.
    Column("stock", Integer, nullable=False),
    Column("condition", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("shipping_services", JSON, nullable=False),
    # The seller pays the postage itself ("free shipping"): the buyer is charged none.
    Column("free_shipping", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
    CheckConstraint("price_minor > 0", name="price_positive"),
    CheckConstraint("status IN ('active', 'paused')", name="status"),
    UniqueConstraint("seller_id", "product_id", "condition", name="uq_offers_seller_product"),
    Index("ix_offers_product_id", "product_id"),
    # The seller center's keyset pages: one shop's offers, newest id first.
    Index("ix_offers_seller_id_id", "seller_id", "id"),
)
