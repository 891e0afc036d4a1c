"""The Quality and Technical Supervision Bureau 质量技术监督局: complaints and reports.

`rules` holds the regulation's rules as small named functions; `hooks` adapts them to the
platform's hookspecs and is the entry point (``qtsb = plugins.qtsb.hooks``).
"""

__all__: list[str] = []
