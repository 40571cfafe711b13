"""The migration of the 2007 system's data (issue 17): staging, validation, merge, history and reconciliation."""
