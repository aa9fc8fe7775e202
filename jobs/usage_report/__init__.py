"""usage-report: a per-tenant API usage PDF, e-mailed, for every tenant, in seconds.

sources/ read Prometheus (one query per metric for all tenants), the control plane's
PostgreSQL and, optionally, gateway analytics into one `TenantUsage` per tenant;
aggregate.py turns it into a `TenantReport` (pure); render.py into PDF bytes (pure,
deterministic); plan.py decides what to deliver where; job.py delivers (mail, S3, a folder).
"""
