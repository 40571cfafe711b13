"""A simulator of the channel apps' notification webhooks (issue 20): receives the hub's pushes, verifies their
signature, can be slow, down or answer 5xx on request, and shows what it received."""
