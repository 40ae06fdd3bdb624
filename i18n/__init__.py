"""Every sentence a person reads, in their language: one message catalogue (gettext with
Babel) in Chinese (``zh_CN``) and English (``en``), for the pages, the API's problem details
and the command line.

Invariants:

* a message's English text is its msgid, and the English catalogue is the code itself: an
  English reader always sees exactly what the code says, and a message missing from the
  Chinese catalogue falls back to English, never to nothing;
* the domain never knows who reads: it raises and returns :class:`Message` values (the msgid
  and its values, kept apart), and only the edge that shows one (a problem detail, a page, a
  command's output) puts it into the reader's language;
* a translation uses the same ``{named}`` placeholders as its msgid (a test checks every
  message of the code against the catalogue), so a value can never be lost or misplaced;
* the stable ``code`` of an error never changes with the language (times shown to people are
  China Standard Time and say so: :func:`scheme_time.format_moment`).
"""

from i18n._catalogue import LOCALES, Locale, catalogue, translate
from i18n._message import N_, Message, _, render
from i18n._negotiate import API_DEFAULT, PAGES_DEFAULT, from_accept_language, from_environment

__all__ = [
    "API_DEFAULT",
    "LOCALES",
    "N_",
    "PAGES_DEFAULT",
    "Locale",
    "Message",
    "_",
    "catalogue",
    "from_accept_language",
    "from_environment",
    "render",
    "translate",
]
