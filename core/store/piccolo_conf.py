"""Piccolo's configuration module (``PICCOLO_CONF``): the engine and the one app."""

from piccolo.conf.apps import AppRegistry

from core.store.engine import DB

__all__ = ["APP_REGISTRY", "DB"]

APP_REGISTRY = AppRegistry(apps=["core.store.piccolo_app"])
