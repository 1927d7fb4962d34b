"""Ingest commands: search, fetch, import (owned by the ingest work)."""
