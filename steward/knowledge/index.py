"""Full-text search: an SQLite FTS5 index (BM25) derived from the store.

The index is a file of its own (``knowledge-index.sqlite`` in the data
folder), also when the operational store is PostgreSQL: it holds nothing that
is not in the store and is brought up to date before each search, by
comparing every document's ``revision`` with the one it was indexed at. It
can be deleted at any time; ``steward kb reindex`` rebuilds it in full.

One row per paragraph ("passage"), in up to two editions: the current version
(staff search) and the published one (the customers' portal).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.knowledge.render import expand, paragraph_text
from steward.knowledge.reuse import snippet_texts
from steward.knowledge.search import NO_FILTERS, Filters, Hit
from steward.store.knowledge import KbDocument, KbVersion

CURRENT, PUBLISHED = 1, 2
INDEX_FILE = "knowledge-index.sqlite"
_WORD = re.compile(r"\w+", re.UNICODE)
_TOKENIZE = "porter unicode61 remove_diacritics 2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_id INTEGER PRIMARY KEY, revision INTEGER NOT NULL, slug TEXT NOT NULL,
    title TEXT NOT NULL, status TEXT NOT NULL, media_url TEXT
);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, edition INTEGER NOT NULL,
    section INTEGER NOT NULL, paragraph INTEGER NOT NULL, section_title TEXT,
    start REAL, first_line INTEGER, last_line INTEGER, text TEXT NOT NULL,
    segment TEXT, recorded_on TEXT
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages (doc_id);
CREATE TABLE IF NOT EXISTS tags (
    passage_id INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tags_value ON tags (kind, value, passage_id);
CREATE INDEX IF NOT EXISTS tags_passage ON tags (passage_id);
CREATE TABLE IF NOT EXISTS embeddings (passage_id INTEGER PRIMARY KEY, vector BLOB);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    text, section_title, doc_title, speakers, tokenize = "TOKENIZE"
);
""".replace("TOKENIZE", _TOKENIZE)
# Per connection: the query's words through the same tokenizer (for their
# stems), and how many passages hold each stem.
_LOOKUPS = f"""
CREATE VIRTUAL TABLE temp.query_words USING fts5(word, tokenize = "{_TOKENIZE}");
CREATE VIRTUAL TABLE temp.query_stems USING fts5vocab(temp, query_words, instance);
CREATE VIRTUAL TABLE temp.index_terms USING fts5vocab(main, passages_fts, row);
"""
# Bumped whenever _SCHEMA changes: an older file is emptied and rebuilt.
SCHEMA_VERSION = 2
_TABLES = ("docs", "passages", "tags", "embeddings", "passages_fts")
# BM25 weights of the text, the section title, the document title and the
# speakers' names ("what did Ana say about SSO"); the speakers weigh less, as
# a name matches every passage that person speaks in.
_WEIGHTS = (1.0, 2.0, 1.0, 0.5)


class KnowledgeIndex:
    """The search index file at ``path``."""

    @classmethod
    def in_folder(cls, home: Path) -> KnowledgeIndex:
        """The index of the data folder ``home``."""
        return cls(home / INDEX_FILE)

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._writing() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                for table in _TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for statement in (_SCHEMA + _LOOKUPS).split(";"):
                if statement.strip():
                    db.execute(statement)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE: two processes syncing at once take turns instead of
        # both reading "stale" and indexing the same document twice.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def sync(self, session: Session) -> int:
        """Re-index the documents whose revision changed; returns how many."""
        wanted = dict(session.execute(select(KbDocument.id, KbDocument.revision)).all())
        have = dict(self._db.execute("SELECT doc_id, revision FROM docs"))
        stale = [doc for doc, revision in wanted.items() if have.get(doc) != revision]
        gone = [doc for doc in have if doc not in wanted]
        if not stale and not gone:
            return 0
        snippets = snippet_texts(session)
        with self._writing() as db:
            have = dict(db.execute("SELECT doc_id, revision FROM docs"))
            for doc_id in gone:
                _forget(db, doc_id)
            for doc_id in stale:
                if have.get(doc_id) == wanted[doc_id]:
                    continue  # another process indexed it meanwhile
                document = session.get(KbDocument, doc_id)
                if document is not None:
                    _forget(db, doc_id)
                    _index(db, session, document, snippets)
        return len(stale) + len(gone)

    def rebuild(self, session: Session) -> int:
        with self._writing() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")
        return self.sync(session)

    def search(
        self, query: str, filters: Filters = NO_FILTERS, limit: int = 10
    ) -> list[Hit]:
        """Passages matching ``query`` best first (BM25), within ``filters``."""
        match = self.match(query)
        if not match:
            return []
        where, params = _conditions(filters)
        sql = f"""
            SELECT p.id, d.slug, d.title, d.status, d.media_url, p.section,
                   p.section_title, p.paragraph, p.start, p.text,
                   p.first_line, p.last_line,
                   bm25(passages_fts, {", ".join(map(str, _WEIGHTS))}) AS score
            FROM passages_fts
            JOIN passages AS p ON p.id = passages_fts.rowid
            JOIN docs AS d ON d.doc_id = p.doc_id
            WHERE passages_fts MATCH ? {where}
            ORDER BY score LIMIT ?
        """
        rows = self._db.execute(sql, [match, *params, limit]).fetchall()
        return [Hit(*row[:12], score=-row[12]) for row in rows]

    def match(self, query: str) -> str:
        """The FTS5 query for ``query``: its words found in the index, less
        those in half of the passages or more (unless that is all of them).

        BM25 gives such a word no weight (FTS5 floors its idf at 1e-6), so
        leaving it out changes no passage's score; it only spares FTS5 from
        scoring most of the index ("did", "think", a name said everywhere).
        """
        words = query_words(query)
        if not words:
            return ""
        db = self._db
        db.executemany(
            "INSERT INTO temp.query_words (rowid, word) VALUES (?, ?)",
            list(enumerate(words, start=1)),
        )
        stems = dict(db.execute("SELECT doc, term FROM temp.query_stems"))
        db.execute("DELETE FROM temp.query_words")
        passages = db.execute("SELECT count(*) FROM passages").fetchone()[0]
        present, rare = [], []
        for number, word in enumerate(words, start=1):
            held = db.execute(
                "SELECT doc FROM temp.index_terms WHERE term = ?", [stems.get(number)]
            ).fetchone()
            if held is not None:
                present.append(word)
                if held[0] * 2 < passages:
                    rare.append(word)
        return _any_of(rare or present or words)

    def texts(self, passage_ids: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(passage_ids))
        rows = self._db.execute(
            f"SELECT id, text FROM passages WHERE id IN ({marks})",
            passage_ids,
        )
        return dict(rows)

    def cached_vectors(self, passage_ids: list[int]) -> dict[int, bytes]:
        marks = ",".join("?" * len(passage_ids))
        rows = self._db.execute(
            f"SELECT passage_id, vector FROM embeddings WHERE passage_id IN ({marks})",
            passage_ids,
        )
        return dict(rows)

    def cache_vectors(self, vectors: dict[int, bytes]) -> None:
        with self._writing() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?)", vectors.items()
            )

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM passages").fetchone()[0]


def query_words(text: str) -> list[str]:
    """The query's words, lower-cased, once each, stop words dropped."""
    words = [w.lower() for w in _WORD.findall(text)]
    content = [w for w in words if w not in ENGLISH_STOP_WORDS] or words
    return list(dict.fromkeys(content))


def fts_query(text: str) -> str:
    """Any of the query's words, each quoted so FTS5 syntax is read as words."""
    return _any_of(query_words(text))


def _any_of(words: list[str]) -> str:
    return " OR ".join(f'"{w}"' for w in words)


def _conditions(filters: Filters) -> tuple[str, list[Any]]:
    clauses = ["AND (p.edition & ?) != 0"]
    params: list[Any] = [PUBLISHED if filters.published_only else CURRENT]
    if filters.status:
        clauses.append("AND d.status = ?")
        params.append(filters.status)
    if filters.document:
        clauses.append("AND d.slug = ?")
        params.append(filters.document)
    if filters.segment:
        # A document without a segment is for every segment.
        clauses.append("AND (p.segment = ? OR p.segment IS NULL)")
        params.append(filters.segment)
    if filters.since:
        clauses.append("AND p.recorded_on >= ?")
        params.append(filters.since.isoformat())
    if filters.until:
        clauses.append("AND p.recorded_on <= ?")
        params.append(filters.until.isoformat())
    for kind, value in (
        ("topic", filters.topic),
        ("speaker", filters.speaker),
        ("step", None if filters.step is None else str(filters.step)),
    ):
        if value:
            clauses.append(
                "AND p.id IN (SELECT passage_id FROM tags WHERE kind = ? "
                "AND value = ? COLLATE NOCASE)"
            )
            params += [kind, value]
    return " ".join(clauses), params


def _forget(db: sqlite3.Connection, doc_id: int) -> None:
    ids = [
        row[0]
        for row in db.execute("SELECT id FROM passages WHERE doc_id = ?", [doc_id])
    ]
    for table, column in (
        ("passages_fts", "rowid"),
        ("tags", "passage_id"),
        ("embeddings", "passage_id"),
    ):
        db.executemany(
            f"DELETE FROM {table} WHERE {column} = ?",
            [(i,) for i in ids],
        )
    db.execute("DELETE FROM passages WHERE doc_id = ?", [doc_id])
    db.execute("DELETE FROM docs WHERE doc_id = ?", [doc_id])


def _index(
    db: sqlite3.Connection, session: Session, document: KbDocument, snippets: dict
) -> None:
    db.execute(
        "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
        [
            document.id,
            document.revision,
            document.slug,
            document.title,
            document.status,
            document.media_url,
        ],
    )
    editions = {document.current_version: CURRENT}
    if document.published_version is not None:
        editions[document.published_version] = (
            editions.get(document.published_version, 0) | PUBLISHED
        )
    template = document.template
    around = (template.before, template.after) if template else ([], [])
    for number, edition in editions.items():
        body = session.scalar(
            select(KbVersion.body).where(
                KbVersion.document_id == document.id, KbVersion.number == number
            )
        )
        sections = expand(body or {}, snippets, *around)
        _index_sections(db, document, sections, edition)


def _index_sections(
    db: sqlite3.Connection, document: KbDocument, sections: list[dict], edition: int
) -> None:
    recorded = document.recorded_on.isoformat() if document.recorded_on else None
    for s_index, section in enumerate(sections):
        topics = {*section.get("topics", []), *document.topics}
        for p_index, paragraph in enumerate(section["paragraphs"]):
            text = paragraph_text(paragraph)
            if not text:
                continue
            lines = [t.get("lines") or [None, None] for t in paragraph["turns"]]
            cursor = db.execute(
                "INSERT INTO passages (doc_id, edition, section, paragraph, "
                "section_title, start, first_line, last_line, text, segment, "
                "recorded_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    document.id,
                    edition,
                    s_index,
                    p_index,
                    section["title"],
                    paragraph.get("start"),
                    lines[0][0],
                    lines[-1][1],
                    text,
                    document.segment,
                    recorded,
                ],
            )
            passage = cursor.lastrowid
            speakers = sorted(
                {t["speaker"] for t in paragraph["turns"] if t.get("speaker")}
            )
            db.execute(
                "INSERT INTO passages_fts (rowid, text, section_title, doc_title, "
                "speakers) VALUES (?, ?, ?, ?, ?)",
                [passage, text, section["title"], document.title, " ".join(speakers)],
            )
            tags = [("topic", t) for t in topics] + [("speaker", s) for s in speakers]
            tags += [("step", str(n)) for n in paragraph.get("steps", [])]
            db.executemany(
                "INSERT INTO tags VALUES (?, ?, ?)", [(passage, k, v) for k, v in tags]
            )
