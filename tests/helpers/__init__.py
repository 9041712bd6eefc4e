"""Helpers shared by the test modules: import them as ``from helpers.<module> import ...``
(``tests/`` is on the path through its conftest)."""
