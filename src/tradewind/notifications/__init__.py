"""Notifications: owns each account's inbox of what buyers and sellers are told (parcel problems,
deliveries, disputes). ``service`` records and reads it; sending e-mail or push is left to a
delivery adapter that reads the same records.
"""

__all__ = ["service"]
