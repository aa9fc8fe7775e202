"""The durable state every later run trusts, one small module per thing kept.

`engine` opens the database (SQLite by default, PostgreSQL in production) and waits out
outages (`durability`); `migrations` applies each owner's table of migrations in order
(`schema` is the core's; `owners` names, lazily, the jobs that keep tables of their own).
The core's stores: `runs`, `audit` (with the `counters` it feeds), `locks`, `alerts`,
`notices`, `caches`. Every store takes plain values, never a job's result objects.
"""
