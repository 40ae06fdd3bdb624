"""The pages' routes, one module per area; :data:`ROUTES` is what the app registers.

A page route is a litestar handler like the API's: it takes ``principal`` and ``tx`` as
``NamedDependency`` (the principal comes from the session cookie), calls the same use case
as the API, and answers with :func:`pages.templating.page`. Routes a stranger may open say
``exclude_from_auth=True``.
"""

from __future__ import annotations

from typing import Any

from pages.routes import home, language, printed, signin

ROUTES: list[Any] = [*signin.ROUTES, *home.ROUTES, *language.ROUTES, *printed.ROUTES]

__all__ = ["ROUTES"]
