"""Lambda shim: the function's handler setting is `handler.handler`."""

from jobs.core.aws_lambda import handler

__all__ = ["handler"]
