"""Completion hooks: how a producer reacts when one of its deliveries is over.

A hook is registered for an event kind and called once per delivery, when it reaches a final
outcome (delivered, failed on the last attempt, or refused by the SSRF guard), inside the
job's transaction: what it writes through ``completed.session`` commits together with the
delivery log and the job's completion, so it happens exactly once. That is how the post
publisher moves a post on to ``live`` or to ``queued.error``.

A hook must not raise for situations it expects (the post moved meanwhile: leave it). An
exception rolls the attempt back and the job retries, which sends the request again.
Replays never call hooks: the business state already reacted to the original delivery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.webhooks.model import AttemptOutcome

__all__ = ["CompletionHook", "DeliveryCompleted", "DeliveryHooks", "delivery_hooks"]


@dataclass(frozen=True, slots=True)
class DeliveryCompleted:
    """The final outcome of one delivery, as a hook sees it."""

    session: AsyncSession = field(repr=False)
    """The job's tenant-scoped session, in the transaction that completes the job."""
    tenant_id: int
    event: str
    subscription_ref: str
    context: Mapping[str, Any]
    """What the producer passed to ``enqueue_delivery(context=...)`` (a post id, say)."""
    job_id: int
    delivery_id: int
    """The log row of the final attempt."""
    attempt: int
    outcome: AttemptOutcome
    response_status: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.outcome is AttemptOutcome.SUCCESS


CompletionHook = Callable[[DeliveryCompleted], Awaitable[None]]
H = TypeVar("H", bound=CompletionHook)


class DeliveryHooks:
    """Hooks by event kind; several may watch one kind, called in registration order."""

    def __init__(self) -> None:
        self._hooks: dict[str, list[CompletionHook]] = {}

    def register(self, event: str) -> Callable[[H], H]:
        """Decorator: ``@delivery_hooks.register("post.publish") async def done(c): ...``.

        Registering the same function again (a module imported twice) is a no-op.
        """

        def decorate(hook: H) -> H:
            hooks = self._hooks.setdefault(event, [])
            if not any(_origin(known) == _origin(hook) for known in hooks):
                hooks.append(hook)
            return hook

        return decorate

    def remove(self, event: str, hook: CompletionHook) -> None:
        hooks = self._hooks.get(event, [])
        self._hooks[event] = [known for known in hooks if _origin(known) != _origin(hook)]

    def for_event(self, event: str) -> tuple[CompletionHook, ...]:
        return tuple(self._hooks.get(event, ()))

    async def fire(self, completed: DeliveryCompleted) -> None:
        for hook in self.for_event(completed.event):
            await hook(completed)


def _origin(hook: CompletionHook) -> tuple[str, str]:
    return (
        str(getattr(hook, "__module__", "?")),
        str(getattr(hook, "__qualname__", repr(hook))),
    )


delivery_hooks = DeliveryHooks()
"""The process-wide registry the delivery job consults."""
