"""Partnerbot: a Discord bot for partnerships that deliver public services together."""

__version__ = "0.1.0"
