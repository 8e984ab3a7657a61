"""safetool: companion and diagnostics tool for smart-safe lock controllers."""

__version__ = "0.1.0"
