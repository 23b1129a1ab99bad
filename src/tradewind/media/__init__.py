"""Media: pictures sellers upload for their products. Owns the image rules (``domain``: the
accepted types, byte, pixel and side limits, the sizes made with Pillow), the storage port
(``ports``) with its local-disk default (``local``), and the upload use case (``service``),
which stores the sizes under content-addressed keys and points the product at them through
catalog. No table: the product's ``image_url`` is the only record.
"""

__all__ = ["domain", "local", "ports", "service"]
