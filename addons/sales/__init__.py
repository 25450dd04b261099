"""Sales: orders from every channel with payments, payment terms and returns (see README.md)."""
