"""Browser tests: real Chromium against the built site (see conftest.py)."""
