"""Dynamic probes: run the project (service, agent turns, evals) and judge what happens."""
