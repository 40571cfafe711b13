"""Statistical reports (7.x): figures over the registry, each limited to the caller's query scope (1.3)."""
