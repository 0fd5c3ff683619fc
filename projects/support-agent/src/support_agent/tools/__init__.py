"""Tools the agent may call, with schemas, risk levels, timeouts, retries and breakers."""
