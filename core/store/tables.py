"""Piccolo tables. Every tenant-owned row carries ``tenant_id``; PostgreSQL enforces it with RLS.

Tables are storage only: repositories map them to domain values and nothing above the store
sees a row. Composite unique keys are unique indexes made by a raw migration, because piccolo
adds table constraints with ALTER TABLE, which SQLite lacks. ``tenant_id`` has no usable
default (piccolo would write 0), and RLS's WITH CHECK refuses such a row.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Boolean,
    Bytea,
    Integer,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.store.engine import DB

__all__ = [
    "ALL_TABLES",
    "TENANT_TABLES",
    "AppUser",
    "Attachment",
    "CaseEvent",
    "CaseReceipt",
    "CaseRow",
    "CaseSerial",
    "ComplainantIdentity",
    "Document",
    "DocumentSerial",
    "DutyShift",
    "EventChain",
    "Handover",
    "HolidaySchedule",
    "IdempotencyKey",
    "IdentityReveal",
    "LedgerEntry",
    "Notification",
    "PlatformAdmin",
    "RefreshFamily",
    "SlaTimer",
    "Tenant",
    "TenantKey",
    "Unit",
]


class Tenant(Table, db=DB, tablename="tenant"):
    """An organisation on the platform. Not tenant-scoped: it is the list of tenants."""

    id = Serial(primary_key=True)
    slug = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    plugin = Varchar(length=64)
    timezone = Varchar(length=64, default="Asia/Shanghai")
    serial_prefix = Varchar(length=16)
    status = Varchar(length=16, default="active")
    status_reason = Text(default="")
    settings = JSONB(default={})
    calendar = JSONB(default={})
    revision = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class PlatformAdmin(Table, db=DB, tablename="platform_admin"):
    """A platform operator. Outside every tenant; holds no tenant role."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    password_hash = Text(default="")
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RefreshFamily(Table, db=DB, tablename="refresh_family"):
    """One sign-in's chain of refresh tokens: only its latest token may be used, and only once.

    Outside every tenant, like the tokens it guards (a platform admin's sign-in has one too).
    """

    id = Serial(primary_key=True)
    family = Varchar(length=32, unique=True)
    current_jti = Varchar(length=32)
    revoked = Boolean(default=False)
    expires_at = Timestamptz()


class Unit(Table, db=DB, tablename="unit"):
    """A handling unit of a tenant."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    code = Varchar(length=32)
    name = Varchar(length=200)
    parent_code = Varchar(length=32, null=True, default=None)


class AppUser(Table, db=DB, tablename="app_user"):
    """A person who signs in to a tenant."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    username = Varchar(length=64)
    display_name = Varchar(length=100, default="")
    password_hash = Text(default="")
    roles = JSONB(default=[])
    unit_code = Varchar(length=32, null=True, default=None)
    email = Varchar(length=200, null=True, default=None)
    active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class CaseRow(Table, db=DB, tablename="case"):
    """A case. The complainant's identity is not here (see `ComplainantIdentity`)."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    serial = Varchar(length=32)
    year = Integer()
    kind = Varchar(length=16)
    channel = Varchar(length=16)
    state = Varchar(length=32)
    title = Varchar(length=200)
    content = Text()
    severity = Varchar(length=16, default="general")
    flags = JSONB(default=[])
    complexity = Varchar(length=16, default="general")
    category = Varchar(length=64, default="")
    anonymous = Boolean(default=False)
    unit_code = Varchar(length=32, null=True, default=None)
    handler = Varchar(length=64, null=True, default=None)
    cause = Text(default="")
    opinion = Text(default="")
    reply_mode = Varchar(length=16, default="")
    reply_content = Text(default="")
    satisfaction = Varchar(length=32, null=True, default=None)
    approvals = JSONB(default=[])
    extensions = Integer(default=0)
    investigations = Integer(default=0)
    verified = Boolean(default=False)
    owner = Varchar(length=64, default="")
    priority = Integer(default=0)
    version = Integer(default=0)
    fields = JSONB(default={})
    received_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ComplainantIdentity(Table, db=DB, tablename="complainant_identity"):
    """Who complained, kept apart from the case and encrypted (AES-GCM, the tenant's data key).

    The blind indexes are keyed HMACs of the phone and ID number: equal values find each other
    (repeat complainants) without anything being decrypted.
    """

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(index=True)
    ciphertext = Bytea()
    nonce = Bytea()
    key_version = Integer(default=1)
    phone_index = Varchar(length=64, null=True, default=None, index=True)
    id_number_index = Varchar(length=64, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class TenantKey(Table, db=DB, tablename="tenant_key"):
    """A tenant's data key, wrapped (AES-GCM) by the platform's master key."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    version = Integer(default=1)
    wrapped = Bytea()
    nonce = Bytea()
    master_key_id = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())


class IdentityReveal(Table, db=DB, tablename="identity_reveal"):
    """Who read a complainant's identity in clear, when, and why."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(index=True)
    reader = Varchar(length=64)
    reason = Text()
    at = Timestamptz()


class EventChain(Table, db=DB, tablename="event_chain"):
    """The head of a tenant's hash chain of case events (locked while an event is appended)."""

    id = Serial(primary_key=True)
    tenant_id = Integer()
    last_hash = Varchar(length=64, default="")
    last_event_id = Integer(default=0)


class CaseEvent(Table, db=DB, tablename="case_event"):
    """One event of a case. Append-only: the app role may insert and read, never change."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(index=True)
    seq = Integer()
    name = Varchar(length=64)
    action = Varchar(length=32, default="")
    from_state = Varchar(length=32, null=True, default=None)
    to_state = Varchar(length=32)
    actor = Varchar(length=64)
    at = Timestamptz()
    data = JSONB(default={})
    prev_hash = Varchar(length=64, default="")  # the tenant's previous event's hash
    hash = Varchar(length=64, default="")


class SlaTimer(Table, db=DB, tablename="sla_timer"):
    """A deadline a case runs against; the scheduler finds due rows here."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(index=True)
    kind = Varchar(length=64)
    label = Varchar(length=100, default="")
    basis = Text(default="")
    period = Varchar(length=32)
    state = Varchar(length=16)
    started_at = Timestamptz()
    due_at = Timestamptz(index=True)
    warn_at = Timestamptz()
    paused_at = Timestamptz(null=True, default=None)
    paused_seconds = Integer(default=0)
    extended = Integer(default=0)
    provisional = Boolean(default=False)
    stopped_at = Timestamptz(null=True, default=None)
    # Set in the transaction that carries out the phase's effects: each fires exactly once.
    warned_at = Timestamptz(null=True, default=None)
    breached_at = Timestamptz(null=True, default=None)
    enqueued_at = Timestamptz(null=True, default=None)  # last handed to a worker by the scheduler


class Document(Table, db=DB, tablename="document"):
    """A numbered document stored on a case (forms, replies, supervision notices)."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(null=True, default=None, index=True)
    kind = Varchar(length=64)
    number = Varchar(length=64, default="")
    title = Varchar(length=200)
    body = Text(default="")
    created_by = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    # The recipient copies: `body` is the handling unit's (no identity at all), `masked_body` the
    # internal one (identity masked; "" when the document names nobody). A worker renders both.
    masked_body = Text(default="")
    render_state = Varchar(length=16, default="pending")  # pending, ready, failed
    html = Text(default="")
    masked_html = Text(default="")
    pdf = Bytea(null=True, default=None)
    masked_pdf = Bytea(null=True, default=None)
    rendered_at = Timestamptz(null=True, default=None)
    enqueued_at = Timestamptz(null=True, default=None)
    render_attempts = Integer(default=0)
    render_error = Text(default="")
    # An archive bundle 归档 (kind ``archive_bundle``): the zip the worker builds; its case file
    # summary is the PDF above. None for every other document.
    bundle = Bytea(null=True, default=None)


class LedgerEntry(Table, db=DB, tablename="ledger_entry"):
    """An accountability journal entry (see core/domain/ledger.py): append-only, never edited.

    Lines carry the sanction fields; reversals, appeals, decisions and instalment schedules
    refer to the entry they answer.
    """

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    entry_type = Varchar(length=16, default="line")
    case_id = Integer(null=True, default=None)
    subject = Varchar(length=64)
    unit_code = Varchar(length=64, default="")
    event_kind = Varchar(length=32)
    event_ref = Varchar(length=40, default="")
    sanction_kind = Varchar(length=32)
    points = Integer(default=0)
    amount = Numeric(digits=(12, 2))
    basis = Text(default="")
    note = Text(default="")
    appealable = Boolean(default=True)
    refers_to = Integer(null=True, default=None)
    evidence = Text(default="")
    reason = Text(default="")
    decision = Varchar(length=16, default="")
    due_at = Timestamptz(null=True, default=None)
    schedule = JSONB(default=[])
    created_by = Varchar(length=64, default="system")
    at = Timestamptz()


class CaseSerial(Table, db=DB, tablename="case_serial"):
    """The last serial number given per tenant and year (gap-free: it rolls back with intake)."""

    id = Serial(primary_key=True)
    tenant_id = Integer()
    year = Integer()
    last = Integer(default=0)


class HolidaySchedule(Table, db=DB, tablename="holiday_schedule"):
    """A year's statutory holidays and make-up workdays, imported for years the package lacks."""

    id = Serial(primary_key=True)
    year = Integer(unique=True)
    holidays = JSONB(default=[])
    workdays = JSONB(default=[])
    source = Text(default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class IdempotencyKey(Table, db=DB, tablename="idempotency_key"):
    """An intake's ``Idempotency-Key``: a retried request finds the case the first one made."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    key = Varchar(length=128)
    fingerprint = Varchar(length=64)
    case_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class CaseReceipt(Table, db=DB, tablename="case_receipt"):
    """How a member of the public follows a case: its receipt number and a hash of the secret."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(index=True)
    receipt = Varchar(length=32)
    secret_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class Attachment(Table, db=DB, tablename="attachment"):
    """A file added to a case (evidence, a scanned letter). The bytes live in the database."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(index=True)
    filename = Varchar(length=200)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    data = Bytea()
    added_by = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class DocumentSerial(Table, db=DB, tablename="document_serial"):
    """The last number given per tenant, document kind and year (督办通知单 are numbered)."""

    id = Serial(primary_key=True)
    tenant_id = Integer()
    kind = Varchar(length=64)
    year = Integer()
    last = Integer(default=0)


class Notification(Table, db=DB, tablename="notification"):
    """The outbox: written with the event that causes it, delivered by a worker with retries.

    Channels: ``inbox`` (in-app, delivered at once), ``email`` and ``webhook``. ``dedupe_key``
    makes a notification of one cause to one recipient exist once.
    """

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    case_id = Integer(null=True, default=None)
    channel = Varchar(length=16)
    recipient = Varchar(length=300)
    subject = Varchar(length=300)
    body = Text(default="")
    state = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    dedupe_key = Varchar(length=200)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    read_at = Timestamptz(null=True, default=None)
    enqueued_at = Timestamptz(null=True, default=None)


class DutyShift(Table, db=DB, tablename="duty_shift"):
    """A duty shift: one leader on duty and one or two officers, for a span of time."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    leader = Varchar(length=64)
    officers = JSONB(default=[])
    created_by = Varchar(length=64, default="")


class Handover(Table, db=DB, tablename="handover"):
    """A shift's handover record 交接班记录. Confidential: duty staff and supervisors only."""

    id = Serial(primary_key=True)
    tenant_id = Integer(index=True)
    shift_id = Integer(index=True)
    written_by = Varchar(length=64)
    at = Timestamptz()
    cases_received = JSONB(default=[])
    pending = JSONB(default=[])
    documents = JSONB(default=[])
    equipment = Text(default="")
    notes = Text(default="")


TENANT_TABLES: tuple[type[Table], ...] = (
    Unit,
    AppUser,
    CaseRow,
    ComplainantIdentity,
    CaseEvent,
    SlaTimer,
    Document,
    LedgerEntry,
    CaseSerial,
    IdempotencyKey,
    CaseReceipt,
    Attachment,
    DocumentSerial,
    Notification,
    DutyShift,
    Handover,
    TenantKey,
    IdentityReveal,
    EventChain,
)
"""Tables whose rows belong to one tenant: each has RLS on PostgreSQL."""

ALL_TABLES: tuple[type[Table], ...] = (Tenant, PlatformAdmin, RefreshFamily, HolidaySchedule, *TENANT_TABLES)
