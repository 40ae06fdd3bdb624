"""Templates (Jinja2, in ``pages/templates``) rendered in the page's language.

Invariants:

* every word a template shows comes through the catalogue: ``{{ _("English text") }}`` (with
  values by name: ``{{ _("{points} points", points=n) }}``) or ``{% trans %}...{% endtrans %}``
  is put into the page's language by :func:`i18n.translate`; ``python -m i18n.maintain
  update`` finds both in the templates (msgids are English, as in the code);
* a :class:`i18n.Message` (a domain error's text, a refusal) is shown with ``|t``, a moment
  with ``|moment`` (China Standard Time, said so);
* autoescape is on: no value put into a page can become markup.

A page is rendered with :func:`page`; its context always holds ``locale`` (the page's
language), ``principal`` (who is signed in, or None), ``acting`` (the acting-for band's
:class:`pages.subject.Acting`, or None) and ``static`` (versioned static URLs).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

import i18n
import scheme_time
from access import SIGNED_IN, Principal, Role
from i18n import Locale, Message
from pages.languages import page_locale
from pages.static_files import VENDORED_HTMX, static_url
from pages.subject import Acting, acting_by_cookie


def _locale(context: Context) -> Locale:
    locale = context.get("locale")
    return locale if isinstance(locale, Locale) else i18n.PAGES_DEFAULT


@pass_context
def _gettext(context: Context, msgid: str, /, **values: Any) -> str:
    text = i18n.translate(msgid, _locale(context))
    return text.format(**values) if values else text


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int, /, **values: Any) -> str:
    # Chinese has one form; English picks by n. Only for {% trans count=... %} blocks.
    text = i18n.translate(singular if n == 1 else plural, _locale(context))
    return text.format(**values) if values else text


@pass_context
def _translated(context: Context, text: str | Message) -> str:
    return i18n.render(text, _locale(context))


@pass_context
def _moment(context: Context, moment: datetime) -> str:
    return scheme_time.format_moment(moment, _locale(context))


@pass_context
def _day(context: Context, day: date) -> str:
    return scheme_time.format_day(day, _locale(context))


def signed_in_as(principal: Principal) -> str:
    """Who a page says is signed in: a volunteer's name and passbook number, else the
    credential's label."""
    if principal.role is Role.VOLUNTEER:
        name = principal.label.removesuffix(SIGNED_IN)
        return f"{name} ({principal.scope})" if name != principal.scope else principal.scope
    return principal.label


def environment() -> Environment:
    """The pages' Jinja environment: templates from the package, autoescaped, with the
    catalogue's ``_``/``gettext`` and the ``t`` and ``moment`` filters."""
    env = Environment(
        loader=PackageLoader("pages", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.filters["t"] = _translated
    env.filters["moment"] = _moment
    env.filters["day"] = _day
    env.globals["static"] = static_url
    env.globals["HTMX"] = VENDORED_HTMX
    env.globals["signed_in_as"] = signed_in_as
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """What ``create_app`` passes to litestar as ``template_config``."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def page(
    request: Request[Any, Any, Any],
    name: str,
    *,
    status_code: int = 200,
    acting: Acting | None = None,
    **context: Any,
) -> Template:
    """Template ``name`` rendered for ``request`` in the page's language, with ``context``.
    The page's language, who is signed in and the request are always in the context, and
    ``acting``: the one given (a page that read the holder's passbook names them), else the
    acting-for cookie's number for an admin (:func:`pages.subject.acting_by_cookie`)."""
    locale = page_locale(request)
    user = request.scope.get("user")
    band = acting or acting_by_cookie(request, user)
    return Template(
        template_name=name,
        context={"locale": locale, "principal": user, "acting": band, **context},
        status_code=status_code,
        headers={"Content-Language": locale.tag, "Cache-Control": "no-store"},
    )


__all__ = ["environment", "page", "template_config"]
