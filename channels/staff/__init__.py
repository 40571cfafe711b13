"""The staff API: login, then every command and query limited to the caller's institution subtree."""
