"""newsearch: full-text search over news archives."""
__version__ = "0.1.0"
