"""The issue's targets, judged on this run and printed in the summary."""

from __future__ import annotations

from hil.results import Results

SUITE_TARGET_S = 300.0  # emulated suite on 2 cores under 5 minutes
SOAK_GROWTH_LIMIT_KIB = 16 * 1024


def target_lines(results: Results, seed: int, campaign: str | None) -> list[str]:
    elapsed = results.elapsed_s
    lines = [
        f"suite time {elapsed:.1f} s (target < {SUITE_TARGET_S:.0f} s on 2 cores): "
        + ("met" if elapsed < SUITE_TARGET_S else "MISSED"),
        f"tests: {results.count('passed')} passed, {results.count('failed')} failed, "
        f"{results.count('error')} errors, {results.count('skipped')} skipped",
    ]
    skips = results.skips()
    unexplained = skips.get("(no reason given)", 0)
    lines.append(
        "every skip has a reason: " + ("yes" if not unexplained else f"NO ({unexplained} without)")
    )
    lines += [f"  skipped {n}x: {reason}" for reason, n in sorted(skips.items())]
    failed = [
        (r.nodeid, m) for r in results.tests.values() for m in r.measurements if m.verdict == "fail"
    ]
    total = sum(len(r.measurements) for r in results.tests.values())
    lines.append(f"measurements: {total} recorded, {len(failed)} outside limits")
    lines += [f"  FAIL {m.name} = {m.value:g} {m.unit} {m.limits()} in {n}" for n, m in failed]
    for name, trials in results.campaigns().items():
        bad = [t for t in trials if t.outcome not in ("passed",)]
        lines.append(f"campaign {name}: {len(trials) - len(bad)}/{len(trials)} trials passed")
        lines += [f"  failed trial {t.nodeid} (trial seed {t.seed})" for t in bad]
    lines.append(f"replay: --seed {seed}" + (f" --campaign {campaign}" if campaign else ""))
    lines.append("not measured in this run: power-cut campaign (needs firmware install)")
    return lines
