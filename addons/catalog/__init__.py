"""Catalog: products, variants, categories, brands, tax classes and channel price lists."""
