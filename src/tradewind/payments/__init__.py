"""Payments: owns the payment of each checkout and what the processor says about it. ``ports`` is
the payment-provider port (Tradewind talks to processors only through it) and ``sandbox`` an
in-process processor that behaves like a real one; ``signing`` and ``events`` check webhook
signatures and bodies (pure); ``service`` starts payments, reacts to webhooks and refunds;
``outbox`` makes the processor calls (capture, refund, payout) after their transaction commits;
``mismatches`` is the operators' queue of captures that do not match what was asked for, and
``reconciliation`` matches the processor's daily settlement report against the ledger (its
mismatches join that queue).
 ``figures`` counts what the operator overview shows.
"""

__all__ = [
    "events",
    "figures",
    "mismatches",
    "outbox",
    "ports",
    "reconciliation",
    "sandbox",
    "service",
    "signing",
]
