import hashlib
import os
import pickle
import sqlite3
import ssl
import subprocess

import requests
import yaml


def find_user(conn: sqlite3.Connection, name: str):
    cur = conn.cursor()
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    cur.execute(f"DELETE FROM sessions WHERE user = '{name}'")
    query = "UPDATE users SET seen = 1 WHERE name = '" + name + "'"
    cur.execute(query)
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cur.fetchall()


def run(host: str) -> None:
    subprocess.run(f"ping -c 1 {host}", shell=True)
    os.system("ping -c 1 " + host)
    subprocess.run(["ping", "-c", "1", host])
    os.system("uptime")


def connect() -> None:
    requests.get("https://internal.example.test", verify=False)
    ssl._create_unverified_context()
    login(user="admin", password="Winter2024!")
    login(user="admin", password=os.environ["PASSWORD"])


def load(data: bytes, text: str) -> object:
    yaml.load(text)
    yaml.load(text, Loader=yaml.SafeLoader)
    yaml.safe_load(text)
    pickle.loads(data)
    return eval(text)


def digest(data: bytes) -> str:
    hashlib.sha256(data)
    hashlib.md5(data, usedforsecurity=False)
    return hashlib.md5(data).hexdigest()


def login(user: str, password: str) -> None:
    print(user, len(password))
