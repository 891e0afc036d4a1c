"""Who may see what of a case: the one visibility check every read and write goes through."""

from __future__ import annotations

import dataclasses

from core.domain.cases import Case
from core.domain.roles import Actor, Permission, Role
from core.domain.visibility import sees_case, unit_bound
from core.store.case_search import CaseQuery
from core.store.cases import CaseNotFound
from core.store.tenant_store import TenantStore

__all__ = ["may_reveal", "scoped_query", "visible_case"]


async def visible_case(repo: TenantStore, case_id: int, actor: Actor, *, for_update: bool = False) -> Case:
    """The case, unless `actor` may not see it (another unit's case is "not found", like another tenant's)."""
    case = await repo.cases.get(case_id, for_update=for_update)
    if not sees_case(actor, case):
        raise CaseNotFound(case_id)
    return case


def may_reveal(actor: Actor, allowed: frozenset[Role]) -> bool:
    """Whether `actor` may read a complainant in clear.

    The matrix's ``identity:reveal``, narrowed to the roles `allowed` by the plugin's
    `hy_identity_access` answer for the case (never widened). The one rule for every reading:
    the identity route, exports and the web pages.
    """
    return actor.can(Permission.IDENTITY_REVEAL) and bool(actor.roles & allowed)


def scoped_query(actor: Actor, query: CaseQuery) -> CaseQuery:
    """`query` narrowed to the cases `actor` may see (`sees_case`)."""
    if not unit_bound(actor):
        return query
    if actor.unit_code:
        return dataclasses.replace(query, unit_code=actor.unit_code)
    return dataclasses.replace(query, handler=actor.username)
