"""Mail is sent by the job worker, and only when the transaction that asked for it commits."""

from __future__ import annotations

import asyncio
import email
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.jobs import Job, JobState, Worker, job_handlers
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import MAIL_JOB, enqueue_mail
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def sent_subjects(settings: Settings) -> list[str]:
    folder = settings.data_dir.resolve() / "mail"
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [str(email.message_from_bytes(Path(p).read_bytes())["Subject"]) for p in paths]


async def test_mail_job_is_sent_by_the_worker_after_commit(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    kept, dropped = f"Welcome {uuid.uuid4().hex[:6]}", f"Never {uuid.uuid4().hex[:6]}"
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await enqueue_mail(
                session, OutgoingMail(to=["a@example.org"], subject=dropped, text="x")
            )
            raise RuntimeError("the request failed after asking for mail")
    async with sessions() as session, session.begin():
        job = await enqueue_mail(
            session, OutgoingMail(to=["ann@example.org"], subject=kept, text="Hello Ann")
        )
    assert MAIL_JOB in job_handlers

    stop = asyncio.Event()
    worker = Worker(settings, sessions, job_handlers, worker_id="mail-test", poll_interval=0.02)
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(400):  # up to 20 s: the file appears when the worker has sent it
            if kept in sent_subjects(settings):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the worker did not send the mail")
    finally:
        stop.set()
        await task
    async with sessions() as session:
        state = await session.scalar(select(Job.state).where(Job.id == job.id))
    assert state == JobState.SUCCEEDED
    assert dropped not in sent_subjects(settings)
