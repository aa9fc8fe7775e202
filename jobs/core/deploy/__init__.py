"""Deployment generators: Kubernetes manifests, the Lambda template, IAM, RBAC and Vault
policies, alert rules and dashboards, each built from the job table (JOBS) and the permissions
each job declares for the settings it runs with. A job added to the table is deployed,
permitted and alerted on without anyone editing YAML by hand; the committed artifacts are what
these generators write (tests regenerate them and diff).
"""
