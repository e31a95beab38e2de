"""`python -m deploy.cli` runs the CLI (used by tests that need a real subprocess without the console script)."""

from deploy.cli import run

run()
