"""What every job shares: result types, runner, settings, state, metrics, entry points.

Kept import-light on purpose: `python -m jobs list` and `--help` must not pay for
pydantic, SQLAlchemy or any cloud client (see bench/startup.py).
"""
