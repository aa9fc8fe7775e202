"""certificate-checker: every certificate, stored or served, and every problem with it.

Sources read certificates (files, endpoints, Kubernetes, Vault PKI, ACM) into
Observations; rules.py judges them purely against `now`; join.py links what is stored
with what endpoints really serve.
"""
