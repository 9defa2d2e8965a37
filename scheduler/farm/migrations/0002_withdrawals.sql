-- Withdrawals of events (CENC IS_DEL, EMSC delete, USGS deleted, QuakeML rejected) and the
-- retractions sent for bulletins already pushed. Same rules as 0001: types both SQLite and
-- PostgreSQL understand, times as Unix milliseconds. New values in existing text columns:
-- jobs.state `withdrawn`, tasks.kind `retract`.

-- One row per withdrawn event (the first withdrawal received). A report of a withdrawn event is
-- refused; a withdrawal of an event never seen is kept here all the same.
CREATE TABLE withdrawals (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    format TEXT NOT NULL,
    reason TEXT NOT NULL,
    report TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (source, event_id)
);

-- One retraction per pushed job that was withdrawn; attempts are counted here and on its task.
CREATE TABLE retractions (
    job_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    url TEXT NOT NULL,
    -- pending | delivered | skipped
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT,
    last_error TEXT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
