"""Non-local residents (4.7, 6.16): where a retiree insured here lives when it is another city, and the people insured
elsewhere who live here. A context of its own rather than part of domain/retirees: the incoming residents are not
retirees of this registry (no lifecycle, no payments), and the residence history is a record beside the lifecycle,
not a state of it."""
