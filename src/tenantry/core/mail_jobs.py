"""Mail goes out through the job queue: enqueued with the write that causes it, sent later.

A request that signs someone up or resets a password commits its mail job in the same
transaction, so a rolled-back request sends nothing and a crashed worker still sends it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.jobs import Job, JobContext, enqueue, job_handlers
from tenantry.core.mail import OutgoingMail, open_mailer

MAIL_JOB = "core.mail.send"


async def enqueue_mail(
    session: AsyncSession, mail: OutgoingMail, *, tenant_id: int | None = None
) -> Job:
    payload: dict[str, Any] = {
        "to": list(mail.to),
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "reply_to": mail.reply_to,
        "headers": dict(mail.headers),
    }
    return await enqueue(session, MAIL_JOB, payload, tenant_id=tenant_id, max_attempts=8)


@job_handlers.register(MAIL_JOB)
async def send_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    await open_mailer(ctx.settings).send(OutgoingMail(**payload))
