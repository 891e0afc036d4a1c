"""Administrative-efficiency complaints about a bureau's own staff 行政效能投诉."""

__all__: list[str] = []
