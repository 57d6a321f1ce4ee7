"""Turning raw bytes into Article objects: HTML pages, plain text, JSON records.

Only this package may import bs4 and dateutil; it never imports whoosh or click.
"""
