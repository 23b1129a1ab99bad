"""Customs: dated import-tax rules per destination and landed-cost quotes.

Pure domain code (no I/O). Depends on :mod:`tradewind.logistics` only for ``DutyTerms`` (customs
is downstream of shipping: a landed cost needs the shipping charge), never the other way round.
"""
