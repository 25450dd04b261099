"""sales_stock: the bridge between sales and warehouse (see README.md)."""
