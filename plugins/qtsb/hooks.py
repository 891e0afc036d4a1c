"""The quality bureau's answers to the platform's hooks (adapters over `rules`)."""

__all__: list[str] = []
