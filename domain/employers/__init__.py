"""Employers (units, 单位), synced from the provincial platform (2.1)."""
