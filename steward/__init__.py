"""Steward: an open-source customer success platform."""

__version__ = "0.1.0"
