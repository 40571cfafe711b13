"""Connectors: one package per external system; each knows its platform's format, and nothing else does."""
