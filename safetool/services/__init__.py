"""Use cases (identify, diagnose, recover, install...). No Textual, no CLI: both call these."""
