"""The caller's query scope (1.3) as a SQL condition on the retiree, for the set-based lists and counts.

A retiree is in scope when their institution lies in the actor's query subtree; one with no institution yet (approved,
not registered) only for the city level looking at the whole city — the same deny-by-default rule as
``Actor.covers``, so every row a list shows links to a detail or timeline the caller may open.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true
from sqlmodel import col

from domain.institutions.models import Institution, in_subtree
from domain.retirees.models import Retiree
from domain.shared.actor import Actor


def whole_city(actor: Actor) -> bool:
    """The city level looking at the whole city: every retiree, placed or not, is in scope."""
    return actor.is_city_level and actor.query_path == actor.institution_path


def retiree_in_scope(actor: Actor, *, include_unplaced: bool = False) -> ColumnElement[bool]:
    """``retiree.institution_id IN (the query subtree)``: a semi-join the planner drives from the path index and
    ``ix_retiree_institution_status``. ``include_unplaced`` adds people with no institution for the whole city, for
    whom the condition is then no condition at all (the planner need not join the institutions)."""
    if whole_city(actor):
        return true() if include_unplaced else col(Retiree.institution_id).is_not(None)
    return col(Retiree.institution_id).in_(select(col(Institution.id)).where(in_subtree(actor.query_path)))
