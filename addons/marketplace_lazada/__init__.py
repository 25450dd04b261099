"""Lazada Open Platform connector for the marketplace addon."""
