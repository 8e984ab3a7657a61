"""gettext catalogs of safetool's user interface: ``safetool.pot`` and one ``.po`` per
language. Binary ``.mo`` files are not kept in the repository; :mod:`safetool.tui.i18n`
compiles a ``.po`` in memory when no ``.mo`` sits next to it (see docs/tui.md)."""
