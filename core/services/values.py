"""The stored values the services hand to the entry points (API, pages, command line).

The entry points never import the store; what they show of a stored row they take from here,
so a reader of `core.api` or `core.web` learns the shapes without the store's modules.
"""

from __future__ import annotations

from core.store.attachments import StoredAttachment
from core.store.case_search import CaseQuery
from core.store.cases import CaseNotFound
from core.store.directory import UserRecord
from core.store.documents import DocumentInfo
from core.store.outbox import NotificationRecord
from core.store.tenants import TenantRecord
from core.store.timers import StoredTimer

__all__ = [
    "CaseNotFound",
    "CaseQuery",
    "DocumentInfo",
    "NotificationRecord",
    "StoredAttachment",
    "StoredTimer",
    "TenantRecord",
    "UserRecord",
]
