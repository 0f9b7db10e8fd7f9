"""An app that never listens (harness test)."""

import time

print('silent_app: up, but not listening')
time.sleep(120)
