"""The Quality and Technical Supervision Bureau 质量技术监督局: complaints and reports."""

__all__: list[str] = []
