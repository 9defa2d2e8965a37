-- The farm's job state, idempotency keys, work queue, audit log and push deliveries.
--
-- One file for SQLite and PostgreSQL: only types both understand (TEXT, BIGINT, DOUBLE PRECISION),
-- text keys made by the application (no SERIAL/AUTOINCREMENT), times as Unix milliseconds
-- (BIGINT), flags as 0/1 BIGINTs. Statements are separated by semicolons at line ends.

-- One bulletin job per (source, event id, report status, revision).
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    report_status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    -- Order among the reports of one event: official beats automatic, then higher revision.
    report_rank BIGINT NOT NULL,
    -- queued | rendering | awaiting_review | approved | pushed | rejected | superseded | failed
    state TEXT NOT NULL,
    reason TEXT,
    format TEXT NOT NULL,
    report TEXT NOT NULL,
    event_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    magnitude DOUBLE PRECISION NOT NULL,
    auto_approve BIGINT NOT NULL DEFAULT 0,
    with_audio BIGINT NOT NULL DEFAULT 0,
    segments_total BIGINT NOT NULL,
    segments_done BIGINT NOT NULL DEFAULT 0,
    superseded_by TEXT,
    reviewer TEXT,
    review_reason TEXT,
    result_json TEXT,
    received_at BIGINT NOT NULL,
    render_started_at BIGINT,
    rendered_at BIGINT,
    ready_at BIGINT,
    decided_at BIGINT,
    pushed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_event ON jobs (source, event_id);
CREATE INDEX jobs_state ON jobs (state, received_at);

-- The idempotency key of a report, written in the same transaction as its job.
CREATE TABLE events (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    report_status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    job_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (source, event_id, report_status, revision)
);

-- The current (highest-ranked) job of each event. Its row is locked by an upsert at intake,
-- which serialises concurrent reports of one event on PostgreSQL.
CREATE TABLE event_heads (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    head_job_id TEXT NOT NULL,
    head_rank BIGINT NOT NULL,
    PRIMARY KEY (source, event_id)
);

-- Webhook message ids seen (Standard Webhooks `webhook-id`): a replay returns the first answer.
CREATE TABLE webhook_messages (
    webhook_id TEXT PRIMARY KEY,
    body_sha256 TEXT NOT NULL,
    job_id TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- The work queue: segment, audio, stitch and push tasks, leased to workers.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    -- segment | audio | stitch | push
    kind TEXT NOT NULL,
    seg_index BIGINT NOT NULL DEFAULT 0,
    frame_start BIGINT NOT NULL DEFAULT 0,
    frame_end BIGINT NOT NULL DEFAULT 0,
    -- pending | leased | done | failed | cancelled
    state TEXT NOT NULL,
    priority BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    -- Incremented by every claim: the fencing token a completion must present.
    lease_token BIGINT NOT NULL DEFAULT 0,
    lease_expires_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    not_before BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    result_json TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX tasks_claim ON tasks (state, kind, priority, created_at);
CREATE INDEX tasks_job ON tasks (job_id, kind);

-- Every review decision (and automatic one) with who made it and why.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    job_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT,
    detail TEXT
);
CREATE INDEX audit_job ON audit_log (job_id, at);

-- One push to the push service per approved job; attempts are counted here and on its task.
CREATE TABLE push_deliveries (
    job_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    url TEXT NOT NULL,
    -- pending | delivered | cancelled
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT,
    last_error TEXT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
