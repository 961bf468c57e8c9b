"""The page's in-process tests reuse the API's fixtures: the real app on a real database."""

from tests.api.conftest import api, make_api, settings_for

__all__ = ["api", "make_api", "settings_for"]
