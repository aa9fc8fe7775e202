"""secret-rotation: rotate Vault KV v2 secrets by policy, set and test every consumer, and
roll everything back when one fails.

policy.py decides (pure): what is due, due soon, overdue for a human, or broken. steps.py
rotates one secret as a journaled create → set → test → finish protocol that a crash at any
point resumes or rolls back on the next run. Targets (PostgreSQL, Kubernetes, Keycloak,
files) only set, test and restore.
"""
