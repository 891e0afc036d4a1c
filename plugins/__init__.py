"""Organisation plugins shipped with the platform, one package per kind of organisation."""

__all__: list[str] = []
