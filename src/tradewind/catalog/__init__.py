"""Catalog: owns sellers (shops), master products and offers (one seller's listing of a product,
with its price and stock). ``domain`` holds the pure rules (GTIN check digits, HS codes,
categories, seller and offer states); ``service`` onboards sellers, keeps products and offers, and
reads the offers for sale that checkout prices from; ``texts`` keeps titles and descriptions in
other languages and picks the one a reader sees; ``listings`` is a seller's own listings at
scale (search, filters, keyset pages, bulk edits, export); ``reads`` answers display reads
(featured products, "from" prices, shop names, the cart's offers); ``chorus_import`` and
``generated`` load demo catalogs; ``stock`` takes and gives back offers' units (checkout
batches, cancellations and returns).
"""

__all__ = ["chorus_import", "domain", "generated", "listings", "reads", "service", "stock", "texts"]
