"""Transfers of a retiree between the city's communities, out of the city and in from another city (4.4)."""
