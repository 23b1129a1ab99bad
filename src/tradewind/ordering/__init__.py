"""Ordering: carts across sellers, checkout (one payment, one order per seller), orders."""
