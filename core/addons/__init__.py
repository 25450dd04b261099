"""Addon discovery, ordering, loading and per-business state."""
