"""The audit trail: who, in which role and institution, did or viewed what, to whom, when and from where."""
