"""The durable email outbox and its delivery."""
