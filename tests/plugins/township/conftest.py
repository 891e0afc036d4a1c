"""The HTTP fixtures of tests/api (the app on the test's loop, its clock, signed-in users).

Township is the tenant tests/api are written for, so its HTTP test runs on that same app
instead of building one of its own as the other plugins' HTTP tests do.
"""

from tests.api.conftest import api_config, app, client, clock, login, township  # noqa: F401 - fixtures
