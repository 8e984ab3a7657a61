"""Data files shipped with safetool (per-model limits and parts)."""
