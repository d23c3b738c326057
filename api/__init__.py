"""The composition root: settings, the Starlette app, authentication and the CLI.

May import every other package; nothing imports it.
"""
