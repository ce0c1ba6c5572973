"""E-mail delivery with a real Celery worker and a local SMTP server that is first down
(connection refused), then answers "451 try again later" to the first messages, then
accepts: every notice arrives exactly once. The figures are printed and written to
``var/notification-delivery.txt`` for the closing note."""

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from applications import services as app_services
from notifications.choices import EmailStatus
from notifications.models import Notification
from tests.factories import build_world, make_application
from tests.livegunicorn import live_database_url
from tests.pgcluster import free_port

REFUSE_DATA = 3  # the first messages get "451 4.3.0 try again later"


class FlakyHandler:
    """aiosmtpd handler: refuses the first ``REFUSE_DATA`` messages, then keeps what it gets."""

    def __init__(self):
        self.refused = 0
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        if self.refused < REFUSE_DATA:
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(message.get_content())
        return "250 OK"


def _redis_up(url) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def _wait(predicate, timeout, what, worker=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker exited: {Path(log).read_text()[-3000:]}")
        time.sleep(0.2)
    tail = Path(log).read_text()[-3000:] if log else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


@pytest.mark.django_db(transaction=True)
def test_smtp_down_then_flaky_then_up_every_notice_arrives_once(units):
    from aiosmtpd.controller import Controller

    broker = settings.CELERY_BROKER_URL
    if not _redis_up(broker):
        pytest.skip(f"Redis is not reachable at {broker}: the real-worker test needs it")
    import redis

    redis.Redis.from_url(broker).delete("celery")  # this run's broker database: nothing stale
    world = build_world(province_codes=(80,))
    tn = world.provinces[80]
    # Six dossiers proposed by the commune officer and submitted: each tells the Sở's officer
    # and approver (the next actors). Committed at once (transactional test): the tasks are queued.
    for _ in range(6):
        application = make_application(tn, user=tn.commune_officer)
        app_services.application_transition(user=tn.commune_officer, application_id=application.pk,
                                            action="submit")
    notices = list(Notification.objects.filter(email_status=EmailStatus.PENDING).values_list("pk", flat=True))
    assert len(notices) == 12

    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="kc-worker-", suffix=".log", delete=False).name
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CELERY_BROKER_URL": broker,
           "CELERY_TASK_ALWAYS_EAGER": "0", "KC_ALLOW_DEV_KEY": "1", "DATABASE_URL": live_database_url(),
           "KC_TEST_SMTP_PORT": str(port), "KC_NOTIFICATION_RETRY_BASE_SECONDS": "1",
           "KC_NOTIFICATION_RETRY_MAX_SECONDS": "4", "KC_NOTIFICATION_MAX_RETRIES": "50"}
    env.pop("DATABASE_ROLE", None)
    cmd = [sys.executable, "-m", "celery", "-A", "khuyencong", "worker", "--pool=solo", "--concurrency=1",
           "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "INFO", "-n", f"mail-{port}@%h"]
    controller = None
    started = time.monotonic()
    with open(log, "wb") as out:
        worker = subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        def attempts():
            return dict(Notification.objects.filter(pk__in=notices).values_list("pk", "email_attempts"))

        # Phase 1: nothing listens on the port; every notice is tried (and refused) at least twice.
        _wait(lambda: min(attempts().values()) >= 2, 120, "every notice to be refused twice", worker, log)
        refused_while_down = sum(attempts().values())
        assert not Notification.objects.filter(pk__in=notices, email_status=EmailStatus.SENT).exists()
        # Phase 2: the server comes up, refuses the first messages with 451, then accepts.
        handler = FlakyHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        up_at = time.monotonic()
        _wait(lambda: not Notification.objects.filter(pk__in=notices).exclude(email_status=EmailStatus.SENT)
              .exists(), 120, "every notice to be sent", worker, log)
        delivered_after = time.monotonic() - up_at
        total_attempts = sum(attempts().values())
        # Exactly once: one message per notice, each carrying its own link.
        ids = Counter(int(m) for text in handler.messages for m in re.findall(r"/thong-bao/(\d+)/mo/", text))
        assert ids == Counter(notices), ids
        assert len(handler.messages) == len(notices)
        assert handler.refused == REFUSE_DATA
        figures = (f"notices={len(notices)} attempts_refused_while_down={refused_while_down} "
                   f"451_refusals={handler.refused} total_attempts={total_attempts} "
                   f"messages_received={len(handler.messages)} duplicates=0 "
                   f"seconds_from_server_up_to_all_delivered={delivered_after:.1f} "
                   f"total_seconds={time.monotonic() - started:.1f}")
        print(figures)
        Path(settings.BASE_DIR, "var").mkdir(exist_ok=True)
        Path(settings.BASE_DIR, "var", "notification-delivery.txt").write_text(figures + "\n")
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        if controller is not None:
            controller.stop()
        os.unlink(log)
