"""Providers: where resources come from and how each type is read, deleted and tagged.

AWS: one module per service under `aws/`, one `aws.types.TYPES` table naming every type's
functions, order, scope, price, quota and IAM grants. Kubernetes: `kubernetes.KINDS`, the same
declaration per kind. Loaded lazily, so a Kubernetes-only run never imports boto3.
"""
