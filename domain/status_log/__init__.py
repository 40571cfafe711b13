"""The person status-change log (6.22): every change of a retiree's state, when it took legal effect, what caused it,
and whether the provincial platform has acknowledged it. Append-only: a mistake is undone by a new entry."""
