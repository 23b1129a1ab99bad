"""HTTP: the JSON API under /api/v1, server-rendered pages, problem+json errors."""
