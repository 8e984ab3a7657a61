"""Command-line options of the HIL plugin (``pytest --help``, group "hil")."""

from __future__ import annotations

import pytest

from hil.campaign import CAMPAIGNS
from hil.capabilities import MEMORY, TRANSPORTS


def add_options(parser: pytest.Parser, *, labgrid_plugin: bool = False) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop suite (docs/hil.md)")
    group.addoption(
        "--rig", metavar="FILE", dest="hil_rig", help="real boards from a TOML rig file"
    )
    if not labgrid_plugin:  # labgrid's own plugin registers --lg-env (dest lg_env)
        group.addoption(
            "--lg-env",
            metavar="FILE",
            dest="lg_env",
            help="boards from a labgrid environment file (needs the labgrid extra, docs/hil.md)",
        )
    group.addoption(
        "--transport",
        dest="hil_transport",
        default="serial",
        choices=[*TRANSPORTS, "all", MEMORY],
        help="link(s) to run the suite over (default serial; all = each in turn; memory = "
        "boards in the test's event loop on fast-forwarded time, no wire)",
    )
    group.addoption("--hil-report", metavar="FILE", dest="hil_report", help="HTML report here")
    group.addoption(
        "--campaign", dest="hil_campaign", choices=CAMPAIGNS, help="run one campaign's trials"
    )
    group.addoption("--seed", dest="hil_seed", type=int, help="campaign seed (default: random)")
    group.addoption(
        "--duration-s", dest="hil_duration_s", type=float, default=20.0, help="soak length"
    )
    group.addoption(
        "--trials",
        dest="hil_trials",
        type=int,
        help="trials per noise level (default 1); power cuts at random transfer bytes "
        "(default 200)",
    )
    group.addoption(
        "--frames",
        dest="hil_frames",
        type=int,
        help="fuzz frames sent to each board (--campaign fuzz; default 20000)",
    )
    group.addoption(
        "--recovery-trials",
        dest="hil_recovery_trials",
        type=int,
        help="power cuts at random instants of lockout recoveries (default 50)",
    )


def selected_transports(config: pytest.Config) -> list[str]:
    chosen: str = config.getoption("hil_transport")
    return list(TRANSPORTS) if chosen == "all" else [chosen]
