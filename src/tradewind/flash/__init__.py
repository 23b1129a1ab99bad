"""Flash sales: a small stock pool sold to very many buyers at once, never oversold.

``domain`` holds the pure rules; ``claims`` applies a batch of claims under the sale's row
lock; ``writer`` is the per-process thread that batches claims; ``gate`` answers not-started,
ended and sold-out without the database; ``waitlist`` hands released units to the line;
``service`` creates and reads campaigns. Design: docs/design/flash-sales.md.
"""
