"""RQ jobs that deliver webhooks, retried with backoff; callbacks about one call stay in order."""
from __future__ import annotations

import redis
from rq import Queue, Retry, get_current_job
from rq.job import Dependency

from cpaas.jobs import context
from cpaas.services.webhooks import WebhookRequest, record_attempt, send

QUEUE = "webhooks"
_ORDER_TTL = 86400


class WebhookFailed(Exception):
    """Raised so RQ schedules a retry (timeouts, connection errors, 5xx)."""


def deliver(payload: dict) -> dict:
    """Job: one attempt at a webhook. Retryable failures raise; final ones are recorded and returned."""
    request = WebhookRequest(**payload)
    job = get_current_job()
    attempt = _count_attempt(job)
    ctx = context.current()
    response = send(request, ctx.settings.webhook_timeout)
    with ctx.database.session() as session:
        record_attempt(session, request, response, attempt)
    if not response.ok and response.retryable and job is not None and job.retries_left:
        raise WebhookFailed(f"{request.purpose} to {request.url}: {response.error}")
    return {"ok": response.ok, "status": response.status, "error": response.error, "attempt": attempt}


def _count_attempt(job) -> int:
    if job is None:
        return 1
    job.meta["attempts"] = attempt = job.meta.get("attempts", 0) + 1
    job.save_meta()
    return attempt


def enqueue(connection: redis.Redis, request: WebhookRequest, retry_intervals: tuple[int, ...],
            order_key: str | None = None):
    """Queue a webhook. With `order_key` (e.g. a CallSid) it runs after the previous one for that key,
    whether that one succeeded or finally failed, so callbacks arrive in the order they happened."""
    queue = Queue(QUEUE, connection=connection)
    retry = Retry(max=len(retry_intervals), interval=list(retry_intervals)) if retry_intervals else None
    depends_on = None
    last_key = f"webhooks:last:{order_key}" if order_key else None
    if last_key:
        previous = connection.get(last_key)
        if previous:
            depends_on = Dependency(jobs=[previous.decode()], allow_failure=True)
    job = queue.enqueue(deliver, request.to_dict(), retry=retry, depends_on=depends_on, failure_ttl=7 * 86400,
                        description=f"{request.purpose} {request.resource_sid or ''} {request.url}")
    if last_key:
        connection.set(last_key, job.id, ex=_ORDER_TTL)
    return job
