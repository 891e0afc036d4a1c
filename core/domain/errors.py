"""Typed domain errors. Each carries a message a person can act on (Chinese first)."""

from __future__ import annotations

__all__ = [
    "DocumentNotFound",
    "DocumentNotReady",
    "DomainError",
    "IllegalTransition",
    "InvalidCommand",
    "NotPermitted",
    "RuleViolation",
]


class DomainError(Exception):
    """Base of every error the domain raises on purpose; entry points map it to a 4xx."""

    code = "domain_error"


class IllegalTransition(DomainError):
    """The action is not allowed from the case's current state (the lifecycle table says no)."""

    code = "illegal_transition"

    def __init__(
        self,
        state: str,
        action: str,
        allowed: tuple[str, ...] = (),
        *,
        labels: tuple[str, str, tuple[str, ...]] | None = None,
    ) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed
        state_label, action_label, allowed_labels = labels or (state, action, allowed)
        hint = f"；此状态可执行：{'、'.join(allowed_labels)}" if allowed else "；此状态不可再执行任何操作"
        super().__init__(
            f"案件当前状态为“{state_label}”，不能执行“{action_label}”{hint} "
            f"(illegal transition {state} → {action})"
        )


class InvalidCommand(DomainError):
    """A command's payload is missing or malformed (e.g. a refusal without a reason)."""

    code = "invalid_command"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class RuleViolation(DomainError):
    """A guard of the core or of the tenant's plugin refused the transition, with its reason."""

    code = "rule_violation"


class NotPermitted(DomainError):
    """The actor's roles do not grant what the step needs."""

    code = "forbidden"


class DocumentNotFound(DomainError):
    """No such document in this tenant (or not one the reader may know of)."""

    code = "not_found"

    def __init__(self, document_id: int) -> None:
        super().__init__(f"文书 {document_id} 不存在")


class DocumentNotReady(DomainError):
    """The document is still being rendered (or rendering failed)."""

    code = "conflict"
