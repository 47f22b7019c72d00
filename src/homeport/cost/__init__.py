"""The cost model (pure functions over a parsed job and the catalog) and its report."""
