"""The app's pages. Each ``*_page.py`` module here defines:

- ``KEY``: the short name used by ``--page`` and settings (e.g. ``"estimate"``),
- ``TITLE``: the tab/sidebar title,
- ``ORDER``: an int; pages are shown in ascending order,
- ``create_page(context: AppContext) -> QWidget``.

The main window discovers them, so a new page is one new file.
"""
