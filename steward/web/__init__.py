"""The web app: server-rendered pages enhanced with htmx, and the JSON API.

``create_app`` builds it; nothing is configured or connected at import.
"""
