"""Retirees: the lifecycle, ID numbers, base and supplementary info, inbound provincial events."""
