//! The one place that reads the wall clock (see clippy.toml), so tests and manifests agree on it.
use chrono::{DateTime, Utc};

pub fn now() -> DateTime<Utc> {
    #[allow(clippy::disallowed_methods)]
    Utc::now()
}
