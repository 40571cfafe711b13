"""The queries of section 6 (issue 18): one catalogue of declared queries, each a scoped SQL statement with typed
filters and columns, paged, sorted, as of any past date where it describes people's state, and exported."""
