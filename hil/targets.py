"""The issue's targets, judged on this run and printed in the summary."""

from __future__ import annotations

from hil.results import Results

SUITE_TARGET_S = 300.0  # emulated suite on 2 cores under 5 minutes
SOAK_GROWTH_LIMIT_KIB = 16 * 1024
SOAK_TARGET_S = 3600.0  # one hour with no growth in memory
POWER_CUT_TARGET = 1000


def target_lines(results: Results, seed: int, campaign: str | None) -> list[str]:
    elapsed = results.elapsed_s
    timing = (
        f"suite time {elapsed:.1f} s (target < {SUITE_TARGET_S:.0f} s on 2 cores): "
        + ("met" if elapsed < SUITE_TARGET_S else "MISSED")
        if campaign is None
        else f"campaign time {elapsed:.1f} s (the suite's {SUITE_TARGET_S:.0f} s target is "
        "for a run without --campaign)"
    )
    lines = [
        timing,
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
    lines += _soak_lines(results)
    return lines


def _soak_lines(results: Results) -> list[str]:
    """The soak's length, errors and memory growth (the issue's target: an hour, no growth)."""
    lines = []
    for result in results.tests.values():
        values = {m.name: m.value for m in result.measurements}
        if "soak_s" not in values:
            continue
        seconds, errors = values["soak_s"], values.get("errors", 0)
        tool, board = values.get("tool_rss_growth", 0), values.get("board_rss_growth", 0)
        grew = max(tool, board) > SOAK_GROWTH_LIMIT_KIB
        verdict = "met" if seconds >= SOAK_TARGET_S and not grew and not errors else "not met"
        lines.append(
            f"soak: {seconds:.0f} s, {errors:.0f} errors, memory growth tool {tool:.0f} KiB, "
            f"board {board:.0f} KiB (target {SOAK_TARGET_S:.0f} s with no growth beyond "
            f"{SOAK_GROWTH_LIMIT_KIB} KiB: {verdict})"
        )
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
