"""axe-core run inside the page under test: no serious or critical accessibility violation.

Invariant: the axe-core that runs is the vendored, pinned copy in ``vendor/`` (its README says
the version and source); it is put into the page by the test driver (Playwright evaluates it
through the DevTools protocol, which the page's Content-Security-Policy does not govern), so
the service never serves it and a page with ``script-src 'self'`` is checked as it is.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = frozenset({"serious", "critical"})

_RUN = """async ([context, options]) => {
  const results = await window.axe.run(context || document, options || {});
  return {
    violations: results.violations,
    passes: results.passes.map((rule) => rule.id),
    incomplete: results.incomplete.map((rule) => rule.id),
    version: results.testEngine.version,
  };
}"""


@cache
def _source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_results(
    page: Page, *, context: str | None = None, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run axe-core on the page (or on the part ``context`` selects) and return what it found:
    ``violations`` (axe's own objects: ``id``, ``impact``, ``help``, ``nodes``...), and the ids
    of the rules that ``passes`` and that stayed ``incomplete``, and axe's ``version``.
    ``options`` are axe.run's options (e.g. ``{"runOnly": ["color-contrast"]}``)."""
    page.wait_for_load_state("load")  # contrast is judged on the styled page, not the default
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    results: dict[str, Any] = page.evaluate(_RUN, [context, options])
    return results


def axe(
    page: Page, *, context: str | None = None, options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Fail the test if axe-core finds any violation of impact serious or critical on the
    page, listing each with its rule, help text, the elements and axe's advice. Returns every
    violation found (minor and moderate ones included) for the test to look at."""
    violations: list[dict[str, Any]] = axe_results(page, context=context, options=options)[
        "violations"
    ]
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    if failing:
        raise AssertionError(
            f"axe-core found {len(failing)} serious or critical violation(s) on {page.url}:\n"
            + "\n".join(describe(v) for v in failing)
        )
    return violations


def describe(violation: dict[str, Any]) -> str:
    """One violation as lines a person reads: rule, impact, help, then each element."""
    lines = [f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}"]
    for node in violation.get("nodes", [])[:10]:
        target = " ".join(str(part) for part in node.get("target", []))
        advice = " ".join(str(node.get("failureSummary", "")).split())
        lines.append(f"    {target}: {advice}")
    if len(violation.get("nodes", [])) > 10:
        lines.append(f"    ... and {len(violation['nodes']) - 10} more element(s)")
    return "\n".join(lines)


__all__ = ["AXE_SOURCE", "FAILING_IMPACTS", "axe", "axe_results", "describe"]
