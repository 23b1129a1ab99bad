"""CSV downloads for the pages: UTF-8 with a byte-order mark (spreadsheets then read Hebrew and
Chinese right), CRLF lines, and every cell that a spreadsheet would run as a formula quoted."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from fastapi.responses import Response

from tradewind.money.currency import minor_unit_digits

FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it (OWASP CSV
    injection). Numbers are written by :func:`major`, which a reader parses back."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def major(amount_minor: int, currency: str) -> str:
    """An amount in major units, exactly (``-1234`` USD is ``-12.34``): a number, never quoted."""
    digits = minor_unit_digits(currency)
    return str(Decimal(amount_minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[str]], filename: str, *, numeric: set[int]
) -> Response:
    """``rows`` as a download; the cells at ``numeric`` positions are numbers this module wrote
    and stay as they are, every other cell is made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([c if i in numeric else safe_cell(c) for i, c in enumerate(row)])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
