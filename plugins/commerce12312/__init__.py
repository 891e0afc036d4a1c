"""The county commerce bureau's 12312 complaint and report station (12312商务举报投诉服务站).

`rules` holds the station's rules as small named functions; `hooks` adapts them to the
platform's hookspecs and is the entry point (``commerce12312 = plugins.commerce12312.hooks``).
"""

__all__: list[str] = []
