"""The pure domain: cases, lifecycle, roles, calendar, SLA arithmetic, masking and money.

No I/O and no framework imports live here (an import-linter contract enforces it).
"""

__all__: list[str] = []
