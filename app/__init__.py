"""The composition root: the only package that knows every other one.

It wires the hub's machinery (``hub/``) to the domain (``domain/``), the connectors (``connectors/``) and the
channels (``channels/``): the handler table, the nightly jobs, the ``hub`` command and its processes, the HTTP API
factory and the migrations environment. Nothing imports ``app``.
"""
