"""The issue's targets, judged on this run and printed in the summary."""

from __future__ import annotations

from hil.results import Results

SUITE_TARGET_S = 300.0  # emulated suite on 2 cores under 5 minutes
SOAK_GROWTH_LIMIT_KIB = 16 * 1024
POWER_CUT_TARGET = 1000


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
    lines += _power_cut_lines(results)
    return lines


def _power_cut_lines(results: Results) -> list[str]:
    """Power cuts survived over the run (the issue's target: 1,000 trials, 0 bricked)."""
    cuts = survived = 0
    for result in results.tests.values():
        values = {m.name: m.value for m in result.measurements}
        if "cuts" in values and "survived" in values:
            cuts += int(values["cuts"])
            survived += int(values["survived"])
    if not cuts:
        return ["power cuts: none in this run (--campaign power-cut)"]
    verdict = "met" if survived == cuts and cuts >= POWER_CUT_TARGET else "not met"
    return [
        f"power cuts: {survived}/{cuts} survived, {cuts - survived} bricked "
        f"(target {POWER_CUT_TARGET} trials with 0 bricked: {verdict})"
    ]
