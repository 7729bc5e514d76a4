"""Delivery to people outside Steward: email, Slack and webhooks, via an outbox."""
