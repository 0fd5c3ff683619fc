"""The agent: a tool-calling loop over litellm, with routing, fallbacks and limits."""
