"""The self-contained HTML report (``--hil-report FILE``): targets, campaign summary, and each
board's tests with their measurements. One file, inline styles, no scripts, prints well."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from hil.results import Results, TestResult

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed,.pass{color:#16632a}.failed,.error,.fail{color:#b00020;
font-weight:bold}.skipped{color:#8a6d00}pre{margin:0;white-space:pre-wrap}
"""


def _measurements(result: TestResult) -> str:
    if not result.measurements:
        return ""
    rows = "".join(
        f"<div class='{m.verdict}'>{escape(m.name)} = {m.value:g} {escape(m.unit)} "
        f"{escape(m.limits())} {m.verdict}</div>"
        for m in result.measurements
    )
    return rows


def _test_rows(tests: list[TestResult]) -> str:
    return "".join(
        f"<tr><td>{escape(t.nodeid)}</td><td class='{t.outcome}'>{t.outcome}</td>"
        f"<td>{t.duration_s:.2f} s</td><td>{_measurements(t)}</td>"
        f"<td>{escape(t.reason)}</td></tr>"
        for t in sorted(tests, key=lambda t: t.nodeid)
    )


def render(results: Results, targets: list[str], title: str) -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>",
        f"<p>{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}</p><h2>Targets</h2><pre>",
        escape("\n".join(targets)),
        "</pre>",
    ]
    campaigns = results.campaigns()
    if campaigns:
        parts.append(
            "<h2>Campaigns</h2><table><tr><th>campaign</th><th>trials</th>"
            "<th>passed</th><th>failed trials (seed)</th></tr>"
        )
        for name, trials in campaigns.items():
            bad = [t for t in trials if t.outcome != "passed"]
            failed = ", ".join(f"{escape(t.nodeid)} ({t.seed})" for t in bad) or "none"
            parts.append(
                f"<tr><td>{escape(name)}</td><td>{len(trials)}</td>"
                f"<td>{len(trials) - len(bad)}</td><td>{failed}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Boards</h2>")
    for board, tests in sorted(results.boards().items()):
        passed = sum(1 for t in tests if t.outcome == "passed")
        parts.append(
            f"<h3>{escape(board)} — {passed}/{len(tests)} passed</h3><table><tr><th>test</th>"
            f"<th>outcome</th><th>time</th><th>measurements</th><th>reason</th></tr>"
            f"{_test_rows(tests)}</table>"
        )
    parts.append("</body></html>")
    return "".join(parts)


def write(path: Path, results: Results, targets: list[str]) -> None:
    path.write_text(render(results, targets, "safetool HIL report"), encoding="utf-8")
