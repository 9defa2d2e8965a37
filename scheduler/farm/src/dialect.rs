//! Every difference between SQLite and PostgreSQL the farm has to know about, in one place.
//!
//! The rest of the database code is one code path through `sqlx::Any`: the same SQL text with
//! `$N` placeholders (SQLite reads `$N` as the N-th parameter), the same types.
//!
//! - **Claiming a task.** PostgreSQL: `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`, so
//!   concurrent workers skip rows another transaction is claiming instead of queueing behind it.
//!   SQLite has no row locks and no `SKIP LOCKED`; a single `UPDATE … RETURNING` statement runs
//!   under the database's one write lock, so two claims can never take the same row.
//! - **Transactions.** SQLite's default deferred `BEGIN` takes the write lock at the first write
//!   and fails at once (`SQLITE_BUSY`, no waiting) when another connection wrote in between;
//!   `BEGIN IMMEDIATE` takes it up front and waits `busy_timeout`. PostgreSQL: plain `BEGIN`
//!   (READ COMMITTED) with explicit row locks where an invariant spans rows.
//! - **Connections.** SQLite `:memory:` is one database per connection, so its pool has one
//!   connection; a file database gets WAL (readers do not block the writer) and a small pool.
//! - **Migrations.** sqlx's migrator runs them over `sqlx::Any` (each driver's own `Migrate`):
//!   on PostgreSQL it serialises processes migrating at once with an advisory lock; on SQLite
//!   the database's one write lock does. Finding the farm's earlier migrations table
//!   ([`Dialect::table_exists_sql`]) is the one catalog query that differs.
use super::error::{FarmError, FarmResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn from_url(url: &str) -> FarmResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(FarmError::DbUrl {
                url: redact(url),
                reason: "expected sqlite://PATH (the embedded default), sqlite::memory: or \
                         postgres://USER@HOST:PORT/DB"
                    .into(),
            })
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// The statement that opens a write transaction.
    pub fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// Claim the next runnable task of the given kinds.
    ///
    /// Parameters: `$1` owner, `$2` lease expiry, `$3` now, `$4`… the kinds (`kinds` of them).
    /// A task is runnable when it is pending and due, or leased with an expired lease (its
    /// worker died or stalled), and has attempts left. Lower `priority` first, then older.
    pub fn claim_sql(self, kinds: usize) -> String {
        let kinds_list: Vec<String> = (0..kinds).map(|i| format!("${}", i + 4)).collect();
        let lock = match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        format!(
            "UPDATE tasks SET state = 'leased', lease_owner = $1, lease_token = lease_token + 1, \
                 lease_expires_at = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM tasks \
                 WHERE kind IN ({}) AND attempts < max_attempts \
                   AND ((state = 'pending' AND not_before <= $3) \
                        OR (state = 'leased' AND lease_expires_at < $3)) \
                 ORDER BY priority, created_at, seg_index LIMIT 1{lock}) \
             RETURNING id, job_id, kind, seg_index, frame_start, frame_end, lease_token, attempts",
            kinds_list.join(", ")
        )
    }

    /// Pool size for a URL.
    pub fn max_connections(self, url: &str) -> u32 {
        match self {
            Dialect::Sqlite if url.contains(":memory:") || url.contains("mode=memory") => 1,
            Dialect::Sqlite => 4,
            Dialect::Postgres => 8,
        }
    }

    /// Statements run once before migrating.
    pub fn prepare_sql(self, url: &str) -> &'static [&'static str] {
        match self {
            Dialect::Sqlite if url.contains(":memory:") => &[],
            Dialect::Sqlite => &["PRAGMA journal_mode = WAL"],
            Dialect::Postgres => &[],
        }
    }

    /// Whether a table exists: one row, one `BIGINT` (0 or 1); `$1` the table's name (in the
    /// current schema on PostgreSQL).
    pub fn table_exists_sql(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        }
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_from_urls() {
        assert_eq!(
            Dialect::from_url("sqlite://x.db").expect("ok"),
            Dialect::Sqlite
        );
        assert_eq!(
            Dialect::from_url("sqlite::memory:").expect("ok"),
            Dialect::Sqlite
        );
        assert_eq!(
            Dialect::from_url("postgres://u@h/db").expect("ok"),
            Dialect::Postgres
        );
        let err = Dialect::from_url("mysql://u:secret@h/db").expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("expected sqlite://"), "{msg}");
        assert!(!msg.contains("secret"), "password leaked: {msg}");
    }

    #[test]
    fn only_postgres_skips_locked_rows() {
        assert!(Dialect::Postgres
            .claim_sql(2)
            .contains("FOR UPDATE SKIP LOCKED"));
        assert!(!Dialect::Sqlite.claim_sql(2).contains("SKIP LOCKED"));
        assert!(Dialect::Sqlite.claim_sql(3).contains("IN ($4, $5, $6)"));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://farm:hunter2@db:5432/q"),
            "postgres://farm:***@db:5432/q"
        );
        assert_eq!(redact("postgres://farm@db/q"), "postgres://farm@db/q");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
