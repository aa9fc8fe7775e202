"""ttl-teardown: expired non-production resources deleted after their owners were warned.

rules.py decides (pure): what is protected and why, what is invalid, who is warned when,
and what may be deleted now. Providers (AWS, Kubernetes) only read and act.
"""
