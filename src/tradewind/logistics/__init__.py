"""Logistics: owns the postal knowledge the other contexts rely on: S10 item identifiers (``s10``);
postal services, zones, rate cards and delivery windows (``shipping``); UPU tracking events,
statuses and timelines (``tracking``); the simulator's scripts placed on each parcel's route and
timed by its service (``routes``); carrier updates checked field by field (``carrier_update``);
plain-text checks on what carriers and sellers send (``text``). All pure (no I/O): the
postal-network simulator and tracking ingestion live in :mod:`tradewind.fulfilment`.
"""

__all__ = ["carrier_update", "routes", "s10", "shipping", "text", "tracking"]
