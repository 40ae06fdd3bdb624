"""The language switch: ``/lang/zh-CN`` or ``/lang/en`` sets the ``lang`` cookie and goes back.

Invariant: the switch only ever sends the reader back to a path of this service (``next`` is
a local path, or the home page), so no link can use it to send someone elsewhere.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from pages.languages import CHOICES, LANG_COOKIE, LANG_MAX_AGE


def local_path(target: str | None) -> str:
    """``target`` if it is a path of this service, else the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@get("/lang/{tag:str}", exclude_from_auth=True, include_in_schema=False)
async def switch_language(
    request: Request[Any, Any, Any],
    tag: FromPath[str],
    back: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Redirect:
    if tag not in CHOICES:
        raise NotFoundException(f"No language {tag!r}.")
    return Redirect(
        local_path(back),
        status_code=HTTP_303_SEE_OTHER,
        cookies=[
            Cookie(
                key=LANG_COOKIE,
                value=tag,
                path="/",
                max_age=LANG_MAX_AGE,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        ],
    )


ROUTES: list[Any] = [switch_language]
