"""AWS, one module per service (ec2, s3, rds, autoscaling, elbv2, eks, iam), each owning its
types' list-read, read-one, delete and tag; `types.TYPES` names all of it per resource type,
with the IAM grants each needs. Loaded lazily: a Kubernetes-only run never imports boto3.
"""
