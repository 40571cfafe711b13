"""Staff, roles and channel clients (1.2), with the separation of the three administrator roles (三员分离)."""
