"""HTTP: the plain client, the guarded transport every feed request takes, capped reads."""
