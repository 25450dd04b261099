"""Helpers for the jobs tests: inspect and drain the stub broker, read outbox rows."""
from __future__ import annotations

import email
import email.policy
import socket
import time

import pytest

from dramatiq import Message
from sqlalchemy import select

from core.jobs import QUEUE, binding_for, execute
from core.models import OutboxJob


def queued(broker, include_delayed=True):
    """The (actor, job_id) of every message waiting in the stub broker, without consuming them."""
    names = [QUEUE, QUEUE + ".DQ"] if include_delayed else [QUEUE]
    out = []
    for name in names:
        q = broker.queues[name]
        with q.mutex:
            items = list(q.queue)
        for data in items:
            m = Message.decode(data)
            out.append((m.actor_name, m.args[0]))
    return out


def drain(runtime, only, rounds=50):
    """Run every queued message of the jobs in ``only`` (ids) until none is left; return the outcomes.

    Messages of other jobs (other tests in the session) are put back untouched.
    """
    broker = binding_for(runtime).broker
    only = set(only)
    outcomes = []
    for _ in range(rounds):
        picked = []
        for name in (QUEUE, QUEUE + ".DQ"):
            q = broker.queues[name]
            keep = []
            while not q.empty():
                data = q.get_nowait()
                q.task_done()
                m = Message.decode(data)
                (picked if m.args[0] in only else keep).append(m)
            for m in keep:
                q.put(m.encode())
        if not picked:
            return outcomes
        for m in picked:
            outcomes.append((m.args[0], execute(runtime, m.actor_name, m.args[0])))
    raise AssertionError(f"jobs {only} still queued after {rounds} rounds: {outcomes}")


def job_row(runtime, job_id) -> OutboxJob:
    with runtime.session(all_businesses=True) as s:
        return s.get(OutboxJob, job_id)


def jobs_of(runtime, business_id, actor=None):
    with runtime.session(all_businesses=True) as s:
        q = select(OutboxJob).where(OutboxJob.business_id == business_id)
        if actor:
            q = q.where(OutboxJob.actor == actor)
        return list(s.scalars(q.order_by(OutboxJob.id)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server on loopback received: (mail_from, recipients, parsed message)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(runtime, monkeypatch):
    """An aiosmtpd server on 127.0.0.1 that the runtime sends its mail to."""
    from aiosmtpd.controller import Controller
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(runtime.config.values, "SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    yield inbox
    controller.stop()


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
