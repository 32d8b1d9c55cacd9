"""Storage: the engine and sessions, the SQLModel tables, queries and migrations."""
