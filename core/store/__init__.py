"""Storage: piccolo tables, migrations, RLS, transactions and tenant-scoped repositories."""

__all__: list[str] = []
