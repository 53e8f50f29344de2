"""Eloket: an open-source, multi-tenant e-government platform for municipalities."""

__version__ = "0.1.0"
