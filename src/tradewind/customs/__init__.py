"""Customs: owns the dated import-tax rules per destination and the landed-cost quote (duty,
excise, VAT and fees, figure by figure, with reasons). ``rules`` gives the shape of a country's
taxes and ``rules_data`` the built-in figures; ``landed_cost`` computes a quote; ``amendments`` are
operators' dated changes, which ``service`` stores and folds into the rule book. All but
``service`` are pure; customs depends on :mod:`tradewind.logistics` only for ``DutyTerms`` (customs
is downstream of shipping: a landed cost needs the shipping charge), never the other way round.
"""

__all__ = ["amendments", "landed_cost", "rules", "rules_data", "service"]
