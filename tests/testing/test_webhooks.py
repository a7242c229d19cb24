"""The fake TikTok's webhook sender (POST /_fake/webhooks): it must sign like TikTok.

No database: the fake runs in a thread and posts to a tiny receiver in another thread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tiktok_mobile_auth.testing import FakeTikTokThread
from tiktok_mobile_auth.testing.control import FakeTikTokControl, FakeTikTokControlError

SECRET = "fake-client-secret"


class Receiver(ThreadingHTTPServer):
    """Records each POST (headers and raw body) and answers ``reply_status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.reply_status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        signature = self.headers.get("TikTok-Signature")  # header names are case-blind
        self.server.received.append({"signature": signature, "raw": raw})
        self.send_response(self.server.reply_status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ctl() -> Iterator[FakeTikTokControl]:
    with FakeTikTokThread() as running:
        yield running.control


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_event_is_signed_over_the_raw_body_with_the_client_secret(ctl, receiver):
    ctl.reset()
    answer = ctl.send_webhook(receiver.url, "fake-open-alice", reason=2)
    [request] = receiver.received
    raw = request["raw"]
    header = request["signature"]
    timestamp, digest = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    assert hmac.compare_digest(digest, expected.hexdigest())

    event = json.loads(raw)
    assert set(event) == {"client_key", "event", "create_time", "user_openid", "content"}
    assert event["client_key"] == "fake-client-key"
    assert event["event"] == "authorization.removed"
    assert event["user_openid"] == "fake-open-alice"
    assert isinstance(event["create_time"], int)
    assert json.loads(event["content"]) == {"reason": 2}  # a JSON string, as TikTok sends
    assert answer == {"status": 200, "body": "ok", "sent": event, "signature": header}


def test_options_and_the_receivers_answer_are_passed_through(ctl, receiver):
    ctl.reset()
    ctl.set_app("other-key", "other-secret")
    receiver.reply_status = 401
    answer = ctl.send_webhook(
        receiver.url,
        "fake-open-bob",
        event="some.event",
        create_time=1_700_000_000,
        timestamp=1_700_000_005,
        secret="forged",
    )
    assert answer["status"] == 401
    assert answer["sent"]["client_key"] == "other-key"
    assert answer["sent"]["event"] == "some.event"
    assert answer["sent"]["create_time"] == 1_700_000_000
    raw = receiver.received[0]["raw"]
    forged = hmac.new(b"forged", b"1700000005." + raw, hashlib.sha256).hexdigest()
    assert answer["signature"] == f"t=1700000005,s={forged}"


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://example.com/hook", "user_openid": "u"},
        {"url": "ftp://127.0.0.1/hook", "user_openid": "u"},
        {"url": "http://127.0.0.1:9/hook"},
        {"url": "http://127.0.0.1:9/hook", "user_openid": "u", "client_key": "unknown"},
    ],
    ids=["not-loopback", "not-http", "no-user", "unknown-app"],
)
def test_bad_webhook_requests_are_refused(ctl, body):
    ctl.reset()
    with pytest.raises(FakeTikTokControlError) as caught:
        ctl._call("POST", "webhooks", body)
    assert caught.value.status == 400


def test_an_unreachable_receiver_is_a_400(ctl):
    with pytest.raises(FakeTikTokControlError) as caught:
        ctl.send_webhook("http://127.0.0.1:9/hook", "fake-open-alice")
    assert caught.value.status == 400
    assert "could not deliver" in str(caught.value)
