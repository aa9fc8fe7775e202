"""One small factory per external system: timeouts, retries and endpoints set in one place.

Jobs ask their context for a client by name; tests inject clients pointed at real
local services or HTTP fakes instead (ARCHITECTURE rule 5).
"""
