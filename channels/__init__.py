"""Channels: the HTTP faces of the hub (staff console, mobile channel API, platform webhooks)."""
