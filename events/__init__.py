"""Events out: the transactional outbox relayed to a Redis stream."""
