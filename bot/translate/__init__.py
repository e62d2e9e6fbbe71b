"""Machine translation of stored stories between English and Dutch (issue 13)."""
