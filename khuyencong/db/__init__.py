"""Database plumbing of the kernel: a PostgreSQL backend that carries the row-level
security scope into every transaction, and the primary/replica router."""
