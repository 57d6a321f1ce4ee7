"""The archive in a browser: `create_app(archive)` is an ASGI app, `serve()` runs it.

This package is the only one that imports Starlette, Jinja2 and uvicorn (install
them with `pip install "newsearch[web]"`); everything the pages need ships here.
"""
from __future__ import annotations

from .app import create_app
from .server import serve

__all__ = ["create_app", "serve"]
