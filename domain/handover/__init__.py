"""Employer hand-over of retirees' archives to a district agency (3.1 - 3.3)."""
