"""Suspicious-list comparison (2.8): name and identity-number keys, match kinds and their explanations."""
