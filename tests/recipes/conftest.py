import pytest


@pytest.fixture(scope="session")
def recipe(script):
    """Imports `recipes/<name>.py` as a module."""
    return lambda name: script(f"recipes/{name}.py")
