"""Notifications: what buyers and sellers are told (parcel problems, deliveries, disputes)."""
