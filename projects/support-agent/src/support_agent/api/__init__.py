"""The HTTP service: FastAPI app with auth, rate limits, health and readiness."""
