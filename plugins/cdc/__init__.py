"""The municipal Centre for Disease Control 市疾控中心: complaints, first-handler responsibility.

`rules` holds the centre's rules as small named functions; `hooks` adapts them to the
platform's hookspecs and is the entry point (``cdc = plugins.cdc.hooks``).
"""

__all__: list[str] = []
