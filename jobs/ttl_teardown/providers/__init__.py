"""Providers: where resources come from and how each type is deleted.

READERS and DELETERS are tables keyed by resource type ("ec2:instance", ...), loaded
lazily so a Kubernetes-only run never imports boto3.
"""
