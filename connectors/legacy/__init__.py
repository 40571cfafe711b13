"""The 2007 system's export (issue 17): its YAML mapping, its CSV reader and a generator of synthetic exports."""
