"""What controllers receive: the composition root's services (`core.services.root`)."""

from __future__ import annotations

from core.services.root import Services

__all__ = ["Services"]
