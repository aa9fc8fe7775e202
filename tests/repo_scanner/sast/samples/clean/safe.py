import hashlib
import os
import subprocess

import yaml


def safe(conn, name: str, text: str) -> object:
    conn.cursor().execute("SELECT * FROM users WHERE name = ?", (name,))
    subprocess.run(["ls", "-l", name], check=True)
    hashlib.sha256(name.encode())
    login(password=os.environ["PASSWORD"])
    return yaml.safe_load(text)


def login(password: str) -> None:
    print(len(password))
