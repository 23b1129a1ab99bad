"""Escrow: owns buyer protection and the money held for sellers until it ends. ``domain`` holds the
pure rules (protection periods, the one extension, commission); ``service`` starts protection at
shipment and releases on receipt or timeout, or refunds; ``disputes`` takes a claim from the buyer
through the seller's answer to an operator's decision; ``payouts`` pays sellers per currency in
batches, net of what they owe (and retries a failed one); ``payout_queue`` is the operator's
view of what is due, held and failed, and the hold that stops a shop's payouts;
``chargebacks`` takes card-network disputes from the processor (liability by reason code, the
one evidence submission, won or lost in the ledger); ``destinations`` keeps where a seller's
payouts go (IBAN, history, a risk event per change); ``returns`` takes back a payout the bank
returned (reason code, ledger reversal, the destination flagged until the seller sets it
again); ``checks`` runs the ledger's whole-books check with the figures (order totals, refunds,
held captures) only ordering and payments know.
``figures`` counts what the operator overview shows; ``statement`` is a seller's money
statement per order (price, postage, commission, FX, net).
"""

__all__ = [
    "chargebacks",
    "checks",
    "destinations",
    "disputes",
    "domain",
    "figures",
    "payout_queue",
    "payouts",
    "returns",
    "service",
    "statement",
]
