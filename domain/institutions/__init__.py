"""Institutions (1.1): the management tree city → county/district agency → street/town → community."""
