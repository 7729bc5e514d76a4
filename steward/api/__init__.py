"""The JSON API under ``/api/v1``: everything the pages do, for scripts and tools."""
