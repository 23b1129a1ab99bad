"""Fulfilment: owns shipments. ``service`` ships an order under an S10 number (entered and
validated, or issued by the simulated post) with its customs declaration, and starts buyer
protection; ``numbers`` knows which shipment holds which number; ``tracking`` takes carrier events
in (webhook or poll) and decides what the timeline means for the order; ``postal_sim`` plays the
carrier for demos and tests; ``documents`` prints a parcel's label and CN23 declaration as PDF;
``figures`` counts a seller's parcels the carrier has scanned (valid tracking).
"""

__all__ = ["documents", "figures", "numbers", "postal_sim", "service", "tracking"]
