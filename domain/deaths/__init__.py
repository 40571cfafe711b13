"""Death registration (4.6) and the pension overpaid after a death."""
