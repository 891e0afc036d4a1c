"""Nanxi Town: complaints about party and government disclosure (南溪镇党务政务公开投诉受理制度)."""

__all__: list[str] = []
