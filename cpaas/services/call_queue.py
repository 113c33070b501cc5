"""How API processes hand calls to the controllers, through Redis, never blocking on a call.

- New outbound calls wait in a per-account FIFO (`calls:queue:<AC>`); a controller's dispatcher
  releases them in order within the account's calls-per-second and concurrency limits.
- Commands for a live call (hang up, cancel, redirect) go to the list of the node that holds it
  (`calls:commands:<node>`), which that node's controller consumes. A list, not pub/sub: a
  command sent while the controller reconnects waits instead of being lost.
"""
from __future__ import annotations

import json
from functools import lru_cache

import redis

ACCOUNTS = "calls:accounts"
WAKE = "calls:wake"  # a dispatcher blocks on it between rounds


def queue_key(account_sid: str) -> str:
    return f"calls:queue:{account_sid}"


def commands_key(node: str) -> str:
    return f"calls:commands:{node}"


#: Queue the call, mark its account as having calls waiting, wake a dispatcher: atomically, in one
#: round trip (every Calls.create pays for it).
_ENQUEUE = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], 1)
redis.call('LTRIM', KEYS[3], 0, 99)
"""


def enqueue_call(client: redis.Redis, account_sid: str, call_sid: str) -> None:
    _enqueue_script(client)(keys=[queue_key(account_sid), ACCOUNTS, WAKE], args=[call_sid, account_sid])


@lru_cache(maxsize=8)
def _enqueue_script(client: redis.Redis):
    return client.register_script(_ENQUEUE)  # hashed once per client, not per call


def withdraw_call(client: redis.Redis, account_sid: str, call_sid: str) -> bool:
    """Take a queued call back before it is dialled; False if a dispatcher already took it."""
    return client.lrem(queue_key(account_sid), 1, call_sid) > 0


def send_command(client: redis.Redis, node: str, call_sid: str, action: str, **fields) -> None:
    client.rpush(commands_key(node), json.dumps({"call_sid": call_sid, "action": action, **fields}))
