"""The HTTP entry point: the litestar app factory."""

__all__: list[str] = []
