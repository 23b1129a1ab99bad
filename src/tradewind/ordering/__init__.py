"""Ordering: owns carts across sellers, checkouts (one payment, one order per seller) and orders
through their state machine. ``domain`` holds the pure rules (order states, cart limits, splitting
a cart by seller); ``cart`` is the buyer's cart; ``checkout`` places a checkout, priced outside the
write by ``checkout_plan`` (with ``pricing`` and ``parcels``) and written many to a transaction by
``checkout_write`` on this process's ``checkout_writer``; ``orders`` reads orders and moves them;
``discounts`` prices the cart's promotions for the cart and the checkout alike; ``ratings`` lets
buyers rate sellers; ``payable`` is what payments reads of a checkout and its unpaid orders,
``to_ship`` what fulfilment reads of an order it ships, ``settlement`` what escrow reads of an
order it holds money for; ``bulk`` places many one-line orders at once (flash-sale claims);
``import_taxes`` says what an order's duty and VAT cost and when they are paid (at checkout or
on delivery), the one reading every page and the API use; ``figures`` counts what the operator
overview shows.
"""

__all__ = [
    "bulk",
    "cart",
    "checkout",
    "checkout_plan",
    "checkout_write",
    "checkout_writer",
    "discounts",
    "domain",
    "figures",
    "import_taxes",
    "orders",
    "parcels",
    "payable",
    "pricing",
    "ratings",
    "settlement",
    "to_ship",
]
