"""secops-jobs: scheduled security and lifecycle batch jobs sharing one runner."""

__version__ = "0.1.0"
