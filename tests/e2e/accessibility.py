"""WCAG 2.1 A and AA checks with axe-core, run inside the page a browser test has open.

axe-core is vendored (tests/e2e/axe/: axe.min.js, its MPL-2.0 licence and the version), so the
check needs no npm and no network. `assert_accessible(page, "what")` waits for the app to be idle,
injects axe once per document, runs the WCAG 2.0/2.1 A and AA rules and fails on any serious or
critical violation, naming the rule, its impact, each element (selector and HTML) and the help link.

Exclusions: only a rule on an exact selector inside Streamlit's own widgets that the app cannot
change or work around, each with the upstream issue. Everything else stays strict."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.e2e.steps import settle

AXE_DIR = Path(__file__).with_name("axe")
AXE_SOURCE = AXE_DIR / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class Exclusion:
    rule: str
    selector: str  # a CSS selector the violating element matches
    why: str  # the upstream issue


# Violations inside Streamlit that the app can neither fix nor work around (see README, Accessibility).
UPSTREAM_EXCLUSIONS: tuple[Exclusion, ...] = ()

_source: str | None = None


def _axe_source() -> str:
    global _source
    if _source is None:
        _source = AXE_SOURCE.read_text(encoding="utf-8")
    return _source


def _inject(page) -> None:
    # Evaluated through the DevTools protocol: nothing is added to the page's own HTML, and a
    # document keeps axe until it is replaced (a goto, a reload).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())


RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      impact: n.impact, target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t),
      html: n.html, summary: n.failureSummary,
    })),
  }));
}"""


def _excluded(page, rule: str, target: list[str]) -> str | None:
    for exclusion in UPSTREAM_EXCLUSIONS:
        if exclusion.rule != rule:
            continue
        if page.evaluate("([t, s]) => { const e = document.querySelector(t); return !!e && e.matches(s); }",
                         [target[-1], exclusion.selector]):
            return exclusion.why
    return None


def violations(page, *, app: bool = True) -> list[dict]:
    """The serious and critical WCAG A/AA violations on the page as it is now, exclusions removed;
    on the app's page (`app`) once it is idle, so nothing is checked half drawn."""
    if app:
        settle(page)
    _inject(page)
    found = []
    for violation in page.evaluate(RUN_AXE, WCAG_TAGS):
        nodes = [node for node in violation["nodes"]
                 if (node["impact"] or violation["impact"]) in FAILING_IMPACTS
                 and _excluded(page, violation["id"], node["target"]) is None]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def report(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(node['target'])}")
            lines.append(f"       {node['html'][:300]}")
            if node["summary"]:
                lines.append("       " + node["summary"].replace("\n", "\n       ")[:600])
    return "\n".join(lines)


def assert_accessible(page, where: str) -> None:
    """Fail with every serious or critical WCAG 2.1 A/AA violation on the page, if any."""
    found = violations(page)
    nodes = sum(len(v["nodes"]) for v in found)
    assert not found, f"{where}: {nodes} serious/critical accessibility violation(s):\n{report(found)}"
