"""Logistics: S10 tracking numbers, UPU tracking events and timelines, postal services and rates.

Pure domain code (no I/O). The postal-network simulator and the carrier adapters live in the
service/adapter layers and use :data:`tracking.SCENARIOS` and :func:`s10.issue_s10`.
"""
