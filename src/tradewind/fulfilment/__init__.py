"""Fulfilment: shipping orders under S10 numbers, tracking them, and what tracking triggers."""
