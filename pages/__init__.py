"""The pages: server-rendered HTML for people (volunteers first), from the same litestar app
as the API and through the same use cases.

An entry point like :mod:`api`: it may import the services of every package, and no domain
package imports it. It never writes an access rule of its own: a page calls the use case the
API calls, with the principal its session cookie resolves to (:mod:`pages.sessions`), and
shows the answer or the refusal in the page's language (:mod:`pages.languages`).

What ``api.app.create_app`` takes from here: :data:`PAGE_ROUTES` (the pages and their static
files), :func:`template_config`, :func:`csrf_config` and :func:`exception_handlers` (errors on
page paths are pages). Modules: ``templating`` (Jinja, the catalogue in templates, ``page``),
``sessions`` (the session and device cookies), ``languages`` (the ``lang`` cookie),
``static_files`` (``/static``), ``errors`` (error pages), ``routes`` (one module per area).
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar.config.csrf import CSRFConfig

from pages.errors import exception_handlers
from pages.routes import ROUTES
from pages.static_files import static_router
from pages.templating import template_config

CSRF_COOKIE = "passbook_csrf"
CSRF_HEADER = "x-csrftoken"
NOT_CSRF_CHECKED = ["^/api/", "^/api$", "^/schema", "^/health", "^/static/"]
"""Where no CSRF token is asked: the API (bearer tokens, which a browser never sends by
itself), its docs, the health check and the static files."""

PAGE_ROUTES: list[Any] = [*ROUTES, static_router()]


def csrf_config(secret: str | None = None) -> CSRFConfig:
    """The CSRF check of every page form: the token is a cookie and, in the form (a hidden
    field, ``_macros.html``'s ``csrf_field``) or in an ``x-csrftoken`` header (htmx), the same
    token again; a POST without both refused (403). ``secret`` signs the tokens (a random one
    per process when not set: tokens then last until the service restarts)."""
    return CSRFConfig(
        secret=secret or secrets.token_hex(32),
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=NOT_CSRF_CHECKED,
    )


__all__ = ["PAGE_ROUTES", "csrf_config", "exception_handlers", "template_config"]
