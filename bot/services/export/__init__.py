"""Exports of the partnership log: one `Document` (gather), written by one writer per format."""
