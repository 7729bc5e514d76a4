"""Knowledge base: recorded calls become reviewed, searchable documents.

``transcript`` and its readers turn files into cues; ``structure`` turns cues
into sections, paragraphs and steps; ``service`` keeps documents, versions and
the review workflow in the store; ``index`` searches them (SQLite FTS5).
"""
