"""The browser tests: every test_*.py here, sharing one server and one browser.

    .tools/venv/bin/python tests/browser/run.py

Prints `browser: N passed, M failed` (the line tests/run.sh counts).
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

suite = unittest.defaultTestLoader.discover(os.path.dirname(os.path.abspath(__file__)), pattern="test_*.py")
try:
    result = unittest.TextTestRunner(verbosity=2).run(suite)
finally:
    harness.stop()
failed = len(result.failures) + len(result.errors)
print(f"browser: {result.testsRun - failed} passed, {failed} failed")
sys.exit(0 if result.wasSuccessful() else 1)
