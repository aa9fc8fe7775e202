"""The words of a usage report, one module per language (`en`, `fr`): plain tables, no logic.

locale.py formats with them. Every language has every key of every table (a test checks it),
so a French tenant never gets an English word in the middle of its report.
"""
