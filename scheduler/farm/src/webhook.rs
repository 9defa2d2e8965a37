//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): verify intake, sign pushes.
//!
//! A message carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`,
//! a space-separated list of `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}` with the
//! secret's bytes (`whsec_` + base64). Verification: the timestamp must be within the tolerance
//! (±5 minutes by default) of our clock, and some signature in the list must match some secret
//! we hold — several secrets are valid at once so a sender can rotate. The MAC comparison is
//! constant-time (`hmac::Mac::verify_slice`). Replays inside the window are handled by intake
//! (the `webhook-id` is remembered and returns the first answer).
//!
//! Pure functions of their inputs; the clock is a parameter.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Default tolerance between the sender's timestamp and ours, seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;
/// Shortest secret accepted, bytes (the specification asks for 24 to 64).
pub const MIN_SECRET_BYTES: usize = 24;

/// One signing secret.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl Secret {
    /// Parse `whsec_<base64>` (the prefix is optional).
    pub fn parse(s: &str) -> Result<Self, String> {
        let b64 = s.trim().strip_prefix("whsec_").unwrap_or(s.trim());
        let bytes = B64
            .decode(b64)
            .map_err(|e| format!("webhook secret is not whsec_<base64>: {e}"))?;
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "webhook secret is {} bytes; at least {MIN_SECRET_BYTES} are required",
                bytes.len()
            ));
        }
        Ok(Secret(bytes))
    }

    /// A key for another purpose derived from this secret: HMAC-SHA256(secret, `label`).
    pub fn derive_key(&self, label: &[u8]) -> Vec<u8> {
        let mut mac =
            HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("any length"));
        mac.update(label);
        mac.finalize().into_bytes().to_vec()
    }

    /// The `whsec_…` text of this secret.
    pub fn to_whsec(&self) -> String {
        format!("whsec_{}", B64.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `v1,<base64>` for a message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", B64.encode(tag))
    }
}

/// The three headers of a signed message, as received.
#[derive(Clone, Debug, Default)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Why a message was refused. Every variant is an authentication failure (HTTP 401).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    #[error("header `webhook-timestamp` is {0:?}; expected Unix seconds")]
    BadTimestamp(String),
    #[error(
        "webhook-timestamp is {age_secs} s in the past; at most {tolerance_secs} s is accepted"
    )]
    Expired { age_secs: i64, tolerance_secs: i64 },
    #[error(
        "webhook-timestamp is {ahead_secs} s in the future; at most {tolerance_secs} s is accepted"
    )]
    FromTheFuture {
        ahead_secs: i64,
        tolerance_secs: i64,
    },
    #[error("header `webhook-signature` has no `v1,<base64>` entry")]
    NoV1Signature,
    #[error("no signature in `webhook-signature` matches a current secret")]
    NoMatch,
}

impl WebhookError {
    /// A stable machine-readable code for the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader(_) => "signature_missing",
            WebhookError::BadTimestamp(_) => "timestamp_invalid",
            WebhookError::Expired { .. } => "timestamp_expired",
            WebhookError::FromTheFuture { .. } => "timestamp_in_future",
            WebhookError::NoV1Signature => "signature_malformed",
            WebhookError::NoMatch => "signature_mismatch",
        }
    }
}

/// Checks messages against the secrets currently valid.
#[derive(Clone, Debug)]
pub struct Verifier {
    pub secrets: Vec<Secret>,
    pub tolerance_secs: i64,
}

impl Verifier {
    pub fn new(secrets: Vec<Secret>) -> Self {
        Self {
            secrets,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// Verify a message at `now_secs`; returns its `webhook-id`.
    pub fn verify<'a>(
        &self,
        h: &SignedHeaders<'a>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<&'a str, WebhookError> {
        let id = h.id.ok_or(WebhookError::MissingHeader("webhook-id"))?;
        let ts_text = h
            .timestamp
            .ok_or(WebhookError::MissingHeader("webhook-timestamp"))?;
        let sigs = h
            .signature
            .ok_or(WebhookError::MissingHeader("webhook-signature"))?;
        let ts: i64 = ts_text
            .trim()
            .parse()
            .map_err(|_| WebhookError::BadTimestamp(ts_text.to_string()))?;
        // Saturating: the timestamp is the sender's text, any i64 (`-9223372036854775808`
        // overflowed a plain subtraction and panicked before the signature was checked).
        let age_secs = now_secs.saturating_sub(ts);
        if age_secs > self.tolerance_secs {
            return Err(WebhookError::Expired {
                age_secs,
                tolerance_secs: self.tolerance_secs,
            });
        }
        let ahead_secs = ts.saturating_sub(now_secs);
        if ahead_secs > self.tolerance_secs {
            return Err(WebhookError::FromTheFuture {
                ahead_secs,
                tolerance_secs: self.tolerance_secs,
            });
        }
        let candidates: Vec<Vec<u8>> = sigs
            .split_whitespace()
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|b| B64.decode(b).ok())
            .collect();
        if candidates.is_empty() {
            return Err(WebhookError::NoV1Signature);
        }
        // Check every pair, without stopping early, so timing says nothing about which matched.
        let mut ok = false;
        for secret in &self.secrets {
            let mac = secret.mac(id, ts_text.trim(), body);
            for c in &candidates {
                ok |= mac.clone().verify_slice(c).is_ok();
            }
        }
        if ok {
            Ok(id)
        } else {
            Err(WebhookError::NoMatch)
        }
    }
}

/// The three headers to send a message signed with `secret` (the first of a rotation set).
pub fn sign_headers(
    secret: &Secret,
    id: &str,
    now_secs: i64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", now_secs.to_string()),
        ("webhook-signature", secret.sign(id, now_secs, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    // The reference vector of the Standard Webhooks libraries (svix-webhooks, TestWebhookSign).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: Some(ID),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    fn verifier() -> Verifier {
        Verifier::new(vec![Secret::parse(SECRET).expect("secret")])
    }

    #[test]
    fn reference_vector_signs_and_verifies() {
        let s = Secret::parse(SECRET).expect("secret");
        assert_eq!(s.sign(ID, TS, BODY.as_bytes()), SIG);
        assert_eq!(s.to_whsec(), SECRET);
        let ts = TS.to_string();
        assert_eq!(
            verifier().verify(&headers(&ts, SIG), BODY.as_bytes(), TS),
            Ok(ID)
        );
    }

    #[test]
    fn tampered_body_or_wrong_secret_fail() {
        let ts = TS.to_string();
        let v = verifier();
        assert_eq!(
            v.verify(&headers(&ts, SIG), br#"{"test": 2432232315}"#, TS),
            Err(WebhookError::NoMatch)
        );
        let other = Verifier::new(vec![Secret::parse(&format!(
            "whsec_{}",
            B64.encode([7u8; 32])
        ))
        .expect("s")]);
        assert_eq!(
            other.verify(&headers(&ts, SIG), BODY.as_bytes(), TS),
            Err(WebhookError::NoMatch)
        );
    }

    #[test]
    fn rotation_accepts_any_current_secret_and_any_listed_signature() {
        let old = Secret::parse(SECRET).expect("secret");
        let new = Secret::parse(&format!("whsec_{}", B64.encode([42u8; 32]))).expect("secret");
        let v = Verifier::new(vec![new.clone(), old]);
        let ts = TS.to_string();
        assert!(v.verify(&headers(&ts, SIG), BODY.as_bytes(), TS).is_ok());
        // A sender mid-rotation lists both; an unknown extra entry does no harm.
        let both = format!("v1,AAAA {} v1a,xyz", new.sign(ID, TS, BODY.as_bytes()));
        assert!(v.verify(&headers(&ts, &both), BODY.as_bytes(), TS).is_ok());
    }

    #[test]
    fn timestamps_outside_tolerance_fail() {
        let v = verifier();
        let ts = TS.to_string();
        assert_eq!(
            v.verify(&headers(&ts, SIG), BODY.as_bytes(), TS + 301),
            Err(WebhookError::Expired {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert!(v
            .verify(&headers(&ts, SIG), BODY.as_bytes(), TS + 300)
            .is_ok());
        assert!(matches!(
            v.verify(&headers(&ts, SIG), BODY.as_bytes(), TS - 301),
            Err(WebhookError::FromTheFuture {
                ahead_secs: 301,
                ..
            })
        ));
        assert!(matches!(
            v.verify(&headers("16142x", SIG), BODY.as_bytes(), TS),
            Err(WebhookError::BadTimestamp(_))
        ));
    }

    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        let v = verifier();
        for (ts, now) in [
            (i64::MIN, TS),
            (i64::MIN, i64::MAX),
            (i64::MAX, TS),
            (i64::MAX, i64::MIN),
            (0, i64::MIN),
        ] {
            let text = ts.to_string();
            let r = v.verify(&headers(&text, SIG), BODY.as_bytes(), now);
            assert!(
                matches!(
                    r,
                    Err(WebhookError::Expired { .. } | WebhookError::FromTheFuture { .. })
                ),
                "{ts} at {now}: {r:?}"
            );
        }
        assert!(matches!(
            v.verify(&headers("-9223372036854775808", SIG), BODY.as_bytes(), TS),
            Err(WebhookError::Expired {
                age_secs: i64::MAX,
                ..
            })
        ));
    }

    /// Random headers, bodies and clocks (seeded xorshift): the verifier answers, never panics.
    #[test]
    fn random_headers_never_panic() {
        let v = verifier();
        let mut x: u64 = 0x5eed_c0de;
        let mut next = move || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let pieces = [
            "",
            " ",
            "v1,",
            "v1a,",
            "v1,AAAA",
            SIG,
            "-",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999",
            "+1",
            "1e9",
            "震",
            "\u{0}",
            ",",
        ];
        for _ in 0..5_000 {
            let mut field = || {
                let mut s = String::new();
                for _ in 0..(next() % 4) {
                    s.push_str(pieces[(next() % pieces.len() as u64) as usize]);
                }
                s
            };
            let (id, ts, sig) = (field(), field(), field());
            let ts = if next() % 3 == 0 {
                (next() as i64).to_string()
            } else {
                ts
            };
            let h = SignedHeaders {
                id: (next() % 5 != 0).then_some(id.as_str()),
                timestamp: (next() % 5 != 0).then_some(ts.as_str()),
                signature: (next() % 5 != 0).then_some(sig.as_str()),
            };
            let now = match next() % 3 {
                0 => TS,
                1 => next() as i64,
                _ => [i64::MIN, i64::MAX, 0][(next() % 3) as usize],
            };
            let _ = v.verify(&h, BODY.as_bytes(), now);
        }
    }

    #[test]
    fn missing_or_malformed_headers_fail_precisely() {
        let v = verifier();
        let ts = TS.to_string();
        let mut h = headers(&ts, SIG);
        h.id = None;
        assert_eq!(
            v.verify(&h, BODY.as_bytes(), TS),
            Err(WebhookError::MissingHeader("webhook-id"))
        );
        assert_eq!(
            v.verify(&headers(&ts, "v2,abc"), BODY.as_bytes(), TS),
            Err(WebhookError::NoV1Signature)
        );
        assert_eq!(
            v.verify(&headers(&ts, "v1,!!!"), BODY.as_bytes(), TS),
            Err(WebhookError::NoV1Signature)
        );
    }

    #[test]
    fn short_or_garbled_secrets_are_refused() {
        assert!(Secret::parse("whsec_c2hvcnQ=")
            .expect_err("short")
            .contains("at least 24"));
        assert!(Secret::parse("whsec_???").is_err());
        let signed = sign_headers(&Secret::parse(SECRET).expect("s"), ID, TS, BODY.as_bytes());
        assert_eq!(signed[2].1, SIG);
    }
}
