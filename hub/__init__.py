"""The hub: the machinery every flow shares (settings, broker, topics, envelope, outbox, consumers, dead letters)."""

__version__ = "0.1.0"
