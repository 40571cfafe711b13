"""A stand-in for the Hebei provincial HR & social-security platform (docs/provincial-contract.md): the SOAP
retiree-exchange service, the exchange database's ``exchange.person_change`` table, admin endpoints that generate
changes and inject faults. Run with ``python -m simulators.provincial --port 8201``."""
