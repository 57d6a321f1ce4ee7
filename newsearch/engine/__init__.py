"""The search engine: the only package that imports Whoosh.

store.py defines the schema and writes (IndexWriter, create/open); segments.py
writes whole segments in worker processes and adopts them at commits; query.py
parses requests and searches (facets, suggestions, similar articles); ranking.py
holds the BM25F scoring and the fast postings paths; analyzers.py adapts the
rules of newsearch.analysis to Whoosh's analyzer classes; locking.py keeps one
writer per index. Whoosh types and exceptions do not leave this package: callers
get newsearch's own models and errors.
"""
