"""Ministry batch files (CSV / Excel): cross-region certifications (2.7) and suspicious-record lists (2.8)."""
