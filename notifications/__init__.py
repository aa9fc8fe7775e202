"""Severity-routed notifications: Message, the NOTIFIERS table and the router.

Independent of `jobs`: it knows messages and channels, not findings.
"""
