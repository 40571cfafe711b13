"""The composition root: the only package that knows every other one.

It wires the hub's machinery (``hub/``) to the domain (``domain/``), the connectors (``connectors/``) and the
channels (``channels/``): the handler table, the nightly jobs, the ``hub`` command and its processes, the HTTP API
factory and the migrations environment. Nothing imports ``app``.
"""

# Every table registered on SQLModel.metadata before any session is used, whichever module a process starts from: a
# foreign key to a table that no imported module happens to define (``retiree.institution_id`` → ``institution``)
# would otherwise fail at flush time in one process and not in another.
import connectors.tables  # noqa: F401
import domain.tables  # noqa: F401
