"""Delivering the outbox against real servers: an aiosmtpd SMTP sink and a local HTTP webhook receiver."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from core.services.clock import FixedClock
from core.services.delivery import Deliverer, DeliveryConfig
from core.store.outbox import NotificationRecord, OutboxRepository
from core.store.tenants import TenantRepository
from core.store.tx import platform_tx, tenant_tx

NOW = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SECRET = "whsec-" + "k" * 32
SUBJECT = "案件 NX-2026-000001 已转办至镇监察室"
BODY = "您有一件新的投诉待签收：村务公开栏三个月未更新。\n请在 2 个工作日内签收。"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the SMTP sink ----------------------------------------------------------------------------


class SmtpSink:
    """An aiosmtpd handler keeping every message; refuses the recipients in `refuse` with 550."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """A real SMTP server on a free local port; yields (sink, port)."""
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()  # returns once the server answers
    try:
        yield sink, controller.port
    finally:
        controller.stop()


# --- the webhook receiver ---------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """What the local HTTP server got; it answers 500 while `failures` > 0, then 200."""

    url: str = ""
    failures: int = 0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def webhook(monkeypatch):
    """A real HTTP server on a free local port, in a thread."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # the request must reach 127.0.0.1 directly
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, {key.lower(): value for key, value in self.headers.items()}, body)
                )
                status = 500 if receiver.failures > 0 else 200
                receiver.failures = max(receiver.failures - 1, 0)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # listening from here on
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/huiying?src=test"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def clock():
    return FixedClock(NOW)


async def queue(
    tenant_id: int, channel: str, recipient: str, *, subject: str = SUBJECT, body: str = BODY
) -> NotificationRecord:
    """Write one outbox row as a business transaction would; returns it."""
    async with tenant_tx(tenant_id):
        outbox = OutboxRepository(tenant_id)
        added = await outbox.add(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            dedupe_key=f"test:{uuid.uuid4().hex}",
            now=NOW,
            case_id=None,
        )
        assert added
        return (await outbox.for_recipient(recipient, channel, limit=1))[0]


async def reload(note: NotificationRecord) -> NotificationRecord:
    async with tenant_tx(note.tenant_id):
        row = await OutboxRepository(note.tenant_id).get(note.id)
    assert row is not None
    return row


async def set_webhook_secret(tenant_id: int, secret: str) -> None:
    """Written raw: the township plugin does not declare ``webhook_secret`` (yet)."""
    tenants = TenantRepository()
    async with platform_tx():
        current = await tenants.get(tenant_id)
        tenant_settings = dict(current.settings.get("tenant", {})) | {"webhook_secret": secret}
        by_kind = dict(current.settings.get("by_kind", {}))
        await tenants.update_settings(tenant_id, {"tenant": tenant_settings, "by_kind": by_kind})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- configuration ----------------------------------------------------------------------------


def test_the_configuration_defaults_and_the_environment(monkeypatch):
    for name in ("HUIYING_SMTP_HOST", "HUIYING_SMTP_PORT", "HUIYING_SMTP_FROM", "HUIYING_WEBHOOK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    assert DeliveryConfig.from_env() == DeliveryConfig()
    assert DeliveryConfig() == DeliveryConfig(
        smtp_host="127.0.0.1",
        smtp_port=25,
        smtp_from="huiying@localhost",
        smtp_timeout=10,
        webhook_timeout=10,
        max_attempts=5,
        base_backoff_seconds=30,
    )
    monkeypatch.setenv("HUIYING_SMTP_HOST", "mail.nanxi.gov.cn")
    monkeypatch.setenv("HUIYING_SMTP_PORT", "2525")
    monkeypatch.setenv("HUIYING_SMTP_FROM", "xinfang@nanxi.gov.cn")
    monkeypatch.setenv("HUIYING_WEBHOOK_TIMEOUT", "2.5")
    config = DeliveryConfig.from_env()
    assert (config.smtp_host, config.smtp_port, config.smtp_from) == (
        "mail.nanxi.gov.cn",
        2525,
        "xinfang@nanxi.gov.cn",
    )
    assert config.webhook_timeout == 2.5
    monkeypatch.setenv("HUIYING_SMTP_PORT", "smtp")
    with pytest.raises(ValueError, match="HUIYING_SMTP_PORT"):
        DeliveryConfig.from_env()


# --- e-mail -----------------------------------------------------------------------------------


async def test_an_email_is_delivered_once_with_its_chinese_subject_and_body(make_tenant, smtp, clock):
    sink, port = smtp
    tenant = await make_tenant()
    note = await queue(tenant.id, "email", "handler@nanxi.gov.cn")
    deliverer = Deliverer(DeliveryConfig(smtp_port=port, smtp_from="xinfang@nanxi.gov.cn"), clock)

    assert await deliverer.deliver(tenant.id, note.id) == "sent"

    [envelope] = sink.envelopes
    assert envelope.mail_from == "xinfang@nanxi.gov.cn"
    assert envelope.rcpt_tos == ["handler@nanxi.gov.cn"]
    message = BytesParser(policy=policy.default).parsebytes(envelope.content)
    assert message["Subject"] == SUBJECT
    assert message["To"] == "handler@nanxi.gov.cn"
    assert message["From"] == "xinfang@nanxi.gov.cn"
    assert message["Message-ID"] == f"<huiying.{tenant.id}.{note.id}@nanxi.gov.cn>"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == BODY
    row = await reload(note)
    assert (row.state, row.sent_at, row.attempts, row.last_error) == ("sent", NOW, 0, "")

    # A duplicate message for the same row sends nothing more.
    clock.advance(timedelta(minutes=5))
    assert await deliverer.deliver(tenant.id, note.id) == "sent"
    assert len(sink.envelopes) == 1
    assert (await reload(note)).sent_at == NOW


@pytest.mark.postgres
async def test_two_workers_on_the_same_row_send_it_once(make_tenant, smtp, clock):
    sink, port = smtp
    tenant = await make_tenant()
    note = await queue(tenant.id, "email", "handler@nanxi.gov.cn")
    deliverer = Deliverer(DeliveryConfig(smtp_port=port), clock)

    states = await asyncio.gather(*(deliverer.deliver(tenant.id, note.id) for _ in range(3)))

    assert states == ["sent", "sent", "sent"]
    assert len(sink.envelopes) == 1


async def test_smtp_down_is_retried_with_backoff_until_the_notification_is_dead(make_tenant, clock):
    tenant = await make_tenant()
    note = await queue(tenant.id, "email", "handler@nanxi.gov.cn")
    deliverer = Deliverer(DeliveryConfig(smtp_port=free_port()), clock)  # nothing listens there

    assert await deliverer.deliver(tenant.id, note.id) == "pending"
    row = await reload(note)
    assert (row.state, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert "SMTP" in row.last_error and "ConnectionRefusedError" in row.last_error

    # A duplicate message before the retry is due does not attempt again.
    assert await deliverer.deliver(tenant.id, note.id) == "pending"
    assert (await reload(note)).attempts == 1

    for attempts, backoff in ((2, 60), (3, 120), (4, 240)):
        clock.at = row.next_attempt_at
        assert await deliverer.deliver(tenant.id, note.id) == "pending"
        row = await reload(note)
        assert row.attempts == attempts
        assert row.next_attempt_at == clock.now() + timedelta(seconds=backoff)

    clock.at = row.next_attempt_at
    assert await deliverer.deliver(tenant.id, note.id) == "dead"
    row = await reload(note)
    assert (row.state, row.attempts, row.next_attempt_at, row.sent_at) == ("dead", 5, None, None)

    clock.advance(timedelta(days=1))
    assert await deliverer.deliver(tenant.id, note.id) == "dead"
    assert (await reload(note)).attempts == 5


async def test_a_recipient_the_server_refuses_for_good_is_dead_at_once(make_tenant, smtp, clock):
    sink, port = smtp
    sink.refuse.add("gone@nanxi.gov.cn")
    tenant = await make_tenant()
    note = await queue(tenant.id, "email", "gone@nanxi.gov.cn")

    assert await Deliverer(DeliveryConfig(smtp_port=port), clock).deliver(tenant.id, note.id) == "dead"

    row = await reload(note)
    assert (row.state, row.attempts) == ("dead", 1)
    assert "550" in row.last_error
    assert sink.envelopes == []


async def test_an_address_that_is_no_email_address_is_dead_without_a_connection(make_tenant, clock):
    tenant = await make_tenant()
    note = await queue(tenant.id, "email", "handler")  # a username, not an address

    deliverer = Deliverer(DeliveryConfig(smtp_port=free_port()), clock)
    assert await deliverer.deliver(tenant.id, note.id) == "dead"
    assert "invalid e-mail address" in (await reload(note)).last_error


# --- webhooks ---------------------------------------------------------------------------------


async def test_a_webhook_is_posted_signed_with_the_tenants_secret(make_tenant, webhook, clock):
    tenant = await make_tenant()
    await set_webhook_secret(tenant.id, SECRET)
    note = await queue(tenant.id, "webhook", webhook.url)

    assert await Deliverer(DeliveryConfig(), clock).deliver(tenant.id, note.id) == "sent"

    [request] = webhook.requests
    assert request.path == "/hooks/huiying?src=test"
    assert request.headers["x-huiying-event"] == "notification"
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["x-huiying-signature"] == signature(SECRET, request.body)
    assert request.headers["x-huiying-signature"] != signature("another secret", request.body)
    assert json.loads(request.body) == {
        "id": note.id,
        "tenant": tenant.slug,
        "case_id": None,
        "subject": SUBJECT,
        "body": BODY,
        "created_at": NOW.isoformat(),
    }
    assert SUBJECT.encode() in request.body  # UTF-8 as such, not \u escapes
    row = await reload(note)
    assert (row.state, row.sent_at) == ("sent", NOW)


async def test_a_failing_webhook_is_retried_and_sent_on_the_third_attempt(make_tenant, webhook, clock):
    tenant = await make_tenant()
    await set_webhook_secret(tenant.id, SECRET)
    note = await queue(tenant.id, "webhook", webhook.url)
    deliverer = Deliverer(DeliveryConfig(), clock)
    webhook.failures = 2

    assert await deliverer.deliver(tenant.id, note.id) == "pending"
    row = await reload(note)
    assert (row.attempts, row.next_attempt_at) == (1, NOW + timedelta(seconds=30))
    assert row.last_error == "webhook 返回 HTTP 500 (non-2xx answer)"

    clock.at = row.next_attempt_at
    assert await deliverer.deliver(tenant.id, note.id) == "pending"
    row = await reload(note)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now() + timedelta(seconds=60))

    clock.at = row.next_attempt_at
    assert await deliverer.deliver(tenant.id, note.id) == "sent"
    row = await reload(note)
    assert (row.state, row.attempts, row.sent_at) == ("sent", 2, clock.now())
    assert len(webhook.requests) == 3
    assert len({request.body for request in webhook.requests}) == 1  # the same signed body each time
    assert all(r.headers["x-huiying-signature"] == signature(SECRET, r.body) for r in webhook.requests)


async def test_without_a_webhook_secret_the_notification_is_dead_and_nothing_is_sent(
    make_tenant, webhook, clock
):
    tenant = await make_tenant()
    note = await queue(tenant.id, "webhook", webhook.url)

    assert await Deliverer(DeliveryConfig(), clock).deliver(tenant.id, note.id) == "dead"

    row = await reload(note)
    assert (row.state, row.attempts, row.next_attempt_at) == ("dead", 1, None)
    assert "webhook_secret" in row.last_error
    assert webhook.requests == []


async def test_an_unreachable_webhook_is_retried_without_quoting_its_url(make_tenant, clock):
    tenant = await make_tenant()
    await set_webhook_secret(tenant.id, SECRET)
    note = await queue(tenant.id, "webhook", f"http://127.0.0.1:{free_port()}/hook?token=s3cr3t")

    assert await Deliverer(DeliveryConfig(), clock).deliver(tenant.id, note.id) == "pending"

    row = await reload(note)
    assert row.attempts == 1
    assert "ConnectError" in row.last_error
    assert "s3cr3t" not in row.last_error and SECRET not in row.last_error


async def test_a_webhook_recipient_that_is_no_url_is_dead(make_tenant, clock):
    tenant = await make_tenant()
    await set_webhook_secret(tenant.id, SECRET)
    note = await queue(tenant.id, "webhook", "ftp://example.org/hook")

    assert await Deliverer(DeliveryConfig(), clock).deliver(tenant.id, note.id) == "dead"
    assert "invalid webhook URL" in (await reload(note)).last_error


# --- what the deliverer leaves alone ----------------------------------------------------------


async def test_inbox_rows_and_missing_rows_are_left_alone(make_tenant, clock):
    tenant = await make_tenant()
    note = await queue(tenant.id, "inbox", "handler")
    deliverer = Deliverer(DeliveryConfig(smtp_port=free_port()), clock)

    assert await deliverer.deliver(tenant.id, note.id) == "sent"
    assert await reload(note) == note
    assert await deliverer.deliver(tenant.id, 2_000_000_000) == "missing"


async def test_another_tenants_row_is_missing_for_this_tenant(make_tenant, smtp, clock):
    sink, port = smtp
    tenant, other = await make_tenant(), await make_tenant()
    note = await queue(tenant.id, "email", "handler@nanxi.gov.cn")

    assert await Deliverer(DeliveryConfig(smtp_port=port), clock).deliver(other.id, note.id) == "missing"
    assert sink.envelopes == []
    assert (await reload(note)).state == "pending"
