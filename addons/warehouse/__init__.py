"""Warehouse: stock per variant and warehouse kept as a cache of an append-only move
ledger, reservations that cannot oversell, transfers, purchasing, counts and reorder points."""
