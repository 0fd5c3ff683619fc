"""The app's top-level screens, one per section, one per module."""
