"""Tessera core: the platform every addon stands on. Imports nothing from addons/."""

__version__ = "0.1.0"
