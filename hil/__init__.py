"""The hardware-in-the-loop suite: a pytest plugin (``hil.plugin``) and, in time, its scenarios.

The plugin is registered through the ``pytest11`` entry point, so its fixtures are available to
any pytest run in an environment where safetool is installed.
"""
