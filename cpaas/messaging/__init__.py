"""Messaging: SMS gateways (`gateways/`), their configuration (`config`), send-rate limits (`ratelimit`)
and the per-message send call (`sender`). docs/messaging.md describes all of it."""
