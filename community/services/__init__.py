"""The registry's use cases and the books as its people see them, each one named, typed async
function ``(conn, principal, *, inputs) -> a domain value`` that checks who may do it with
the :mod:`access` checks and refuses with a :class:`db.DomainError`.

An entry point (the API, the pages, the command line) runs one in one transaction, e.g.
``await tx.write(services.register_volunteer, principal, ...)``. Modules, one area each:
``volunteers``, ``roster`` (import and export), ``council_members``, ``tokens`` (the
command line's operator), ``sign_in``, ``books``, ``checkpoints`` (signed proof for
outsiders), ``printed_passbook`` (pages to print, and their check codes) and ``grants``
(opening balances and adjustments).

Invariant of the layering: :mod:`community` itself never imports this package, and
:mod:`access` (which builds on :mod:`community`) never does either; this package builds on
both.
"""

from community.services.books import (
    PassbookBalance,
    PassbookStatement,
    ShownEntry,
    ShownPosting,
    passbook_balance,
    passbook_statement,
    read_entry,
    show_entry,
    trial_balance,
    verify_books,
)
from community.services.checkpoints import check_checkpoint, take_checkpoint
from community.services.council_members import (
    Appointment,
    CouncilListing,
    add_council_member,
    list_council_members,
    step_down_council_member,
)
from community.services.grants import (
    GrantListing,
    confirm_batch,
    confirm_grant,
    import_openings,
    list_grants,
    propose_adjustment,
    propose_opening,
    propose_openings,
    read_grant,
    reject_grant,
)
from community.services.printed_passbook import (
    A4_LINES,
    A5_LINES,
    LINES_PER_PAGE,
    PageCheck,
    PrintablePassbook,
    PrintedLine,
    PrintedPage,
    check_printed_page,
    kind_words,
    printable_passbook,
)
from community.services.roster import (
    MAX_ROSTER_ROWS,
    ROSTER_COLUMNS,
    Roster,
    RosterImport,
    RosterVolunteer,
    export_roster,
    import_roster,
    roster_rows,
)
from community.services.sign_in import SignedIn, SignInAttempt, clear_sign_in_wait, sign_in
from community.services.tokens import OPERATOR
from community.services.volunteers import (
    Moved,
    MoveHistory,
    Registration,
    VolunteerListing,
    change_volunteer,
    list_volunteers,
    move_volunteer,
    register_volunteer,
    see_volunteer,
    set_pin,
    set_volunteer_status,
    volunteer_moves,
)

__all__ = [
    "A4_LINES",
    "A5_LINES",
    "LINES_PER_PAGE",
    "MAX_ROSTER_ROWS",
    "OPERATOR",
    "ROSTER_COLUMNS",
    "Appointment",
    "CouncilListing",
    "GrantListing",
    "MoveHistory",
    "Moved",
    "PageCheck",
    "PassbookBalance",
    "PassbookStatement",
    "PrintablePassbook",
    "PrintedLine",
    "PrintedPage",
    "Registration",
    "Roster",
    "RosterImport",
    "RosterVolunteer",
    "ShownEntry",
    "ShownPosting",
    "SignInAttempt",
    "SignedIn",
    "VolunteerListing",
    "add_council_member",
    "change_volunteer",
    "check_checkpoint",
    "check_printed_page",
    "clear_sign_in_wait",
    "confirm_batch",
    "confirm_grant",
    "export_roster",
    "import_openings",
    "import_roster",
    "kind_words",
    "list_council_members",
    "list_grants",
    "list_volunteers",
    "move_volunteer",
    "passbook_balance",
    "passbook_statement",
    "printable_passbook",
    "propose_adjustment",
    "propose_opening",
    "propose_openings",
    "read_entry",
    "read_grant",
    "register_volunteer",
    "reject_grant",
    "roster_rows",
    "see_volunteer",
    "set_pin",
    "set_volunteer_status",
    "show_entry",
    "sign_in",
    "step_down_council_member",
    "take_checkpoint",
    "trial_balance",
    "verify_books",
    "volunteer_moves",
]
