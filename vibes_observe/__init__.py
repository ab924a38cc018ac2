"""vibes-observe: the `vibes observe` CLI, alerting and dashboard generators."""
