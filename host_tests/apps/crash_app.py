"""An app that dies before it listens (harness test)."""

raise RuntimeError('crash_app: failing on purpose before listening')
