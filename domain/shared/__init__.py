"""What every bounded context shares: errors, the actor, the unit of work, masking, column helpers."""
