//! Who may read the API: bearer tokens (reviewers and readers) and signed links to a job's media.
//!
//! Everything under `/v1/jobs/…`, `/v1/withdrawals/…` and `/metrics` names events, reports and
//! reviewers, so it needs a token: a reviewer's (`--reviewer`) or a read-only one (`--reader`).
//! A `<video src>` or an HLS player cannot send an `Authorization` header, so the job view hands
//! out the video and playlist links *signed*: `?exp=<unix seconds>&sig=<hex>`, an HMAC-SHA256 of
//! the job id and the expiry under a key derived from the first webhook secret (every server of
//! one deployment has it, so any of them honours a link another one made). A signature covers
//! one job's media only, never its JSON, audit or another job.
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::webhook::Secret;

type HmacSha256 = Hmac<Sha256>;

/// How long a link in a job view (`GET /v1/jobs/{id}`, the review queue) stays valid, seconds.
pub const VIEW_LINK_TTL_SECS: i64 = 6 * 3600;
/// How long the video and playlist links in a push stay valid, seconds.
pub const PUSH_LINK_TTL_SECS: i64 = 7 * 24 * 3600;

/// Signs and checks media links.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    /// The link key of a deployment: derived from its (first) webhook secret, under a label of
    /// its own so a link signature is never a valid webhook signature.
    pub fn derived_from(secret: &Secret) -> Self {
        Self {
            key: secret.derive_key(b"quakecast media link v1"),
        }
    }

    fn mac(&self, job_id: &str, exp: i64) -> HmacSha256 {
        // HMAC takes keys of any length.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(job_id.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        mac
    }

    /// `exp=…&sig=…` for `job_id`'s media, valid until `now_secs + ttl_secs`.
    pub fn query(&self, job_id: &str, now_secs: i64, ttl_secs: i64) -> String {
        let exp = now_secs.saturating_add(ttl_secs);
        let sig: String = self
            .mac(job_id, exp)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("exp={exp}&sig={sig}")
    }

    /// Whether `exp`/`sig` (from a query string) sign `job_id`'s media and have not expired.
    pub fn verify(&self, job_id: &str, exp: &str, sig: &str, now_secs: i64) -> bool {
        let Ok(exp) = exp.parse::<i64>() else {
            return false;
        };
        if exp < now_secs || sig.len() != 64 || !sig.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let bytes: Vec<u8> = (0..32)
            .filter_map(|i| {
                let pair = sig.get(2 * i..2 * i + 2)?;
                u8::from_str_radix(pair, 16).ok()
            })
            .collect();
        bytes.len() == 32 && self.mac(job_id, exp).verify_slice(&bytes).is_ok()
    }
}

/// Compare without stopping at the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The name whose token is `token` among `pairs`, comparing against every one.
pub fn token_owner<'a>(pairs: &'a [(String, String)], token: &str) -> Option<&'a str> {
    let mut found = None;
    for (name, t) in pairs {
        if constant_time_eq(t.as_bytes(), token.as_bytes()) {
            found = Some(name.as_str());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        LinkSigner::derived_from(
            &Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret"),
        )
    }

    fn parts(q: &str) -> (String, String) {
        let mut exp = String::new();
        let mut sig = String::new();
        for kv in q.split('&') {
            match kv.split_once('=') {
                Some(("exp", v)) => exp = v.into(),
                Some(("sig", v)) => sig = v.into(),
                _ => {}
            }
        }
        (exp, sig)
    }

    #[test]
    fn links_verify_for_their_job_until_they_expire() {
        let s = signer();
        let (exp, sig) = parts(&s.query("j1", 1000, 60));
        assert_eq!(exp, "1060");
        assert!(s.verify("j1", &exp, &sig, 1000));
        assert!(s.verify("j1", &exp, &sig, 1060));
        assert!(!s.verify("j1", &exp, &sig, 1061), "expired");
        assert!(!s.verify("j2", &exp, &sig, 1000), "another job");
        assert!(!s.verify("j1", "1061", &sig, 1000), "another expiry");
        assert!(!s.verify("j1", &exp, &sig[..63], 1000));
        assert!(!s.verify("j1", &exp, "zz", 1000));
        assert!(!s.verify("j1", &exp, &"é".repeat(32), 1000));
        let other = LinkSigner::derived_from(
            &Secret::parse("whsec_KioqKioqKioqKioqKioqKioqKioqKioqKioqKio=").expect("secret"),
        );
        assert!(!other.verify("j1", &exp, &sig, 1000), "another deployment");
    }

    #[test]
    fn tokens_name_their_owner() {
        let pairs = vec![
            ("alice".to_string(), "a".repeat(16)),
            ("bob".into(), "b".repeat(16)),
        ];
        assert_eq!(token_owner(&pairs, &"b".repeat(16)), Some("bob"));
        assert_eq!(token_owner(&pairs, "b"), None);
    }
}
