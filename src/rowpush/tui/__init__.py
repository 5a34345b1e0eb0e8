"""The terminal UI: a face over engine/verbs, like cli.py. Imports nothing here (keeps
`rowpush --help` fast); build the app with `rowpush.tui.app.build_app`."""
