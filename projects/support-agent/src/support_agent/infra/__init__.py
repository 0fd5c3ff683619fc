"""Cross-cutting plumbing: settings, logs, traces, budgets, cache and guardrails."""
