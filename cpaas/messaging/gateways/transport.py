"""One HTTP request to a gateway, with every way it can go wrong turned into a SendResult.

Retryable: the gateway could not be reached, did not answer in time, or said it is
overloaded or broken (429, 5xx). Final: it answered and refused (other 4xx). The
job layer retries the first kind with backoff and records the second at once.
"""
from __future__ import annotations

import logging

import requests

from cpaas.messaging import errors
from cpaas.messaging.gateways.base import SendResult

log = logging.getLogger(__name__)


def call(session: requests.Session, method: str, url: str, *, timeout: float, message_ref: str,
         gateway: str, **kwargs) -> requests.Response | SendResult:
    """The response when the gateway answered 2xx, else the SendResult describing the failure."""
    try:
        response = session.request(method.upper(), url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        log.warning("sms %s: gateway %s timed out: %s", message_ref, gateway, exc)
        return SendResult.retry(errors.UNKNOWN_ERROR, f"gateway {gateway} did not answer within {timeout:g}s")
    except requests.RequestException as exc:
        log.warning("sms %s: gateway %s unreachable: %s", message_ref, gateway, exc)
        return SendResult.retry(errors.UNKNOWN_ERROR, f"gateway {gateway} unreachable: {type(exc).__name__}")
    if 200 <= response.status_code < 300:
        return response
    return failure_for_status(response.status_code, response.text, gateway, message_ref)


def failure_for_status(status: int, text: str, gateway: str, message_ref: str) -> SendResult:
    detail = " ".join(text.split())[:200]
    message = f"gateway {gateway} answered HTTP {status}: {detail}".rstrip(": ")
    if status in (429, 503):
        log.warning("sms %s: %s (will retry)", message_ref, message)
        return SendResult.retry(errors.QUEUE_OVERFLOW, message)
    if status >= 500 or status in (408, 425):
        log.warning("sms %s: %s (will retry)", message_ref, message)
        return SendResult.retry(errors.UNKNOWN_ERROR, message)
    log.warning("sms %s: %s (final)", message_ref, message)
    return SendResult.reject(errors.UNKNOWN_ERROR, message)
