"""Pieces of bench/bench.py: the in-process figures (pages, API requests, exports, the
regional summary) and the API load through gunicorn."""
