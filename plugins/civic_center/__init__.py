"""The Yongji civic service centre 永济市市民服务中心: complaints about window staff.

`rules` holds the centre's rules as small named functions; `hooks` adapts them to the
platform's hookspecs and is the entry point (``civic_center = plugins.civic_center.hooks``).
"""

__all__: list[str] = []
