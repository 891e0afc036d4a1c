"""One controller per resource; each builds a command, calls a service and maps the answer."""

__all__: list[str] = []
