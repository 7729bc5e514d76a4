"""The naive baseline of ``benchmarks.tracking``: one call per request, one commit.

    .venv/bin/python -m benchmarks.naive_ingest DATABASE --port N

What a first version of a tracking endpoint often looks like: parse the
call, insert it into SQLite and commit before answering (synchronous=FULL, so
the answer, like Steward's, comes only once the call is on disk).
"""

from __future__ import annotations

import argparse
import sqlite3
import threading

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def create_app(database: str) -> FastAPI:
    connection = sqlite3.connect(database, check_same_thread=False)
    connection.execute("pragma synchronous=full")
    connection.execute(
        "create table if not exists events (message_id text primary key, "
        "account_id text, user_id text, event text, ts text, properties text)"
    )
    lock = threading.Lock()
    app = FastAPI()

    @app.post("/v1/track")
    async def track(request: Request) -> JSONResponse:
        call = orjson.loads(await request.body())
        row = (
            call["messageId"],
            call.get("context", {}).get("groupId"),
            call.get("userId"),
            call["event"],
            call["timestamp"],
            orjson.dumps(call.get("properties", {})).decode(),
        )
        with lock:
            connection.execute("insert or ignore into events values (?,?,?,?,?,?)", row)
            connection.commit()
        return JSONResponse({"success": True, "stored": 1})

    @app.post("/v1/batch")
    async def probe() -> JSONResponse:  # answers the start-up probe
        return JSONResponse({"success": True, "stored": 0})

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.database), port=args.port, log_level="warning")
