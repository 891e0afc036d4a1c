"""A company's customer complaint handling 客户投诉处理制度: first-asked responsibility and penalties.

`rules` holds the company's rules as small named functions; `hooks` adapts them to the
platform's hookspecs and is the entry point (``company = plugins.company.hooks``).
"""

__all__: list[str] = []
