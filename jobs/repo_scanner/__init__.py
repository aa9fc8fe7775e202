"""repo-scanner: secrets (history too), SAST, vulnerable dependencies and licenses in one gate.

targets/ turn configuration, the command line, GitLab and pushes into checkouts; scanners/
read them into secret-free hits (the secret engine fingerprints and masks before a hit exists);
plan.py decides severity, suppressions and the baseline (pure); sarif.py and sbom.py write the
reports. Offline by design: nothing here talks to a network the settings did not name.
"""
