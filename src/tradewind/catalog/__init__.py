"""Catalog: sellers (shops), master products and offers (one seller's listing of a product)."""
