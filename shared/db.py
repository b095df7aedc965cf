"""Async SQLAlchemy engines and the tables every service owns a copy of (outbox, inbox)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    event,
    text,
    types,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A pooled PostgreSQL connection idle this long is pinged before use: a firewall or a failover
# may have dropped it without its socket noticing. Busier connections are never pinged.
IDLE_PING_AFTER_S = 30.0

# SQLite only autoincrements INTEGER PRIMARY KEY, so big ids are BIGINT elsewhere only.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(types.TypeDecorator):
    """A timezone-aware datetime stored in UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Kesu stores only aware datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def service_metadata() -> MetaData:
    """A MetaData with the naming convention Alembic needs for batch migrations."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def outbox_table(metadata: MetaData, prefix: str) -> Table:
    """The transactional outbox a service writes in the same transaction as its own rows."""
    name = f"{prefix}_outbox"
    return Table(
        name,
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=True),
        Column("headers", JSON, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
        Index(
            f"ix_{name}_pending",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index(f"ix_{name}_published_at", "published_at"),
    )


def inbox_table(metadata: MetaData, prefix: str) -> Table:
    """Processed events per consumer: the record that makes redelivery harmless."""
    return Table(
        f"{prefix}_inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime, nullable=False),
    )


def create_engine(url: str, *, pool_size: int = 10, read_only: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and write-locking BEGIN.

    ``read_only`` SQLite engines begin deferred transactions, which WAL lets run beside a writer.
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine, begin="BEGIN" if read_only else "BEGIN IMMEDIATE")
        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _guard_pooled_connections(engine)
    return engine


def _guard_pooled_connections(engine: AsyncEngine) -> None:
    """Replace dead pooled connections on checkout without a round trip per transaction.

    ``pool_pre_ping`` spent three round trips (BEGIN, a query, ROLLBACK) on every checkout. A
    restarted server or ``pg_terminate_backend`` closes the socket, which asyncpg notices while
    the connection sits in the pool, so checking its flag is free; only long-idle connections
    get a real ping. The pool opens a new connection in place of a refused one.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _note_idle_since(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _refuse_dead(dbapi_connection, record, _proxy) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_AFTER_S:
            try:
                sync_engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # noqa: BLE001 - any failed ping means: use a new connection
                raise DisconnectionError(f"a long-idle pooled connection failed its ping: {exc!r}") from exc


def _configure_sqlite(engine: AsyncEngine, *, begin: str) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE below is what runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection) -> None:
        # IMMEDIATE takes the write lock up front: no deadlocked read-to-write upgrades,
        # and the outbox relay's claim is exclusive, as FOR UPDATE is on PostgreSQL.
        connection.exec_driver_sql(begin)


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions that keep loaded attributes after commit (handlers read them afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def upsert_insert(bind, table: Table):
    """An INSERT for ``table`` that offers ON CONFLICT on both backends (PostgreSQL or SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)


_INSERT_IGNORING: dict[tuple, object] = {}


def insert_ignoring_returning(bind, table: Table, *returning: Column):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING ``returning``, built once per dialect and table.

    Building the statement costs more CPU than running it, so hot paths reuse one object.
    """
    key = (bind.dialect.name, table.name, tuple(c.name for c in returning))
    if key not in _INSERT_IGNORING:
        _INSERT_IGNORING[key] = upsert_insert(bind, table).on_conflict_do_nothing().returning(*returning)
    return _INSERT_IGNORING[key]


def pending_until_commit(session: AsyncSession, key: str, flush: Callable[[Session, dict], None]) -> dict:
    """A dict kept in the session until its next COMMIT, just before which ``flush(sync_session, it)`` runs.

    Handlers queue rows in it so a batch of events in one transaction costs one statement, not one per event.
    """
    state = session.info.get(key)
    if state is None:
        state = session.info[key] = {}
        event.listen(session.sync_session, "before_commit", lambda sync: flush(sync, sync.info.pop(key, {})),
                     once=True)
    return state


def is_postgres(engine: AsyncEngine) -> bool:
    """True when the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"
