//! The credential value every part of tempcreds passes around: key id, secret (redacted and
//! zeroized), session token, expiry, and the origin that later decides what it may become.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where a set of credentials came from. The console code (issue 3) decides from this value,
/// not from which code produced it, whether a sign-in link is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Long-term IAM user keys (no session token).
    LongTerm,
    /// `GetSessionToken` credentials (MFA sessions).
    SessionToken,
    /// `AssumeRole` credentials. `chained` is true when the caller itself held temporary
    /// credentials, which caps the session at one hour (role chaining).
    AssumedRole { chained: bool },
    /// `GetFederationToken` credentials.
    FederationToken,
    /// From a `credential_process` command.
    Process,
    /// Vended by the tempcreds broker.
    Broker,
}

/// A set of AWS credentials. `Debug` and `Display` never show the secret or the token.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
    pub expiration: Option<OffsetDateTime>,
    pub origin: Origin,
}

impl Credentials {
    /// The secret key, for the few places that must write it out (formatters, files).
    pub fn secret(&self) -> &str {
        self.secret_access_key.expose_secret()
    }

    /// The session token, if any, for the same few places.
    pub fn token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| t.expose_secret())
    }

    /// True for any credential with a session token: STS treats calls made with them as
    /// "role chaining" when they call AssumeRole (ARCHITECTURE.md, "role chaining").
    pub fn is_temporary(&self) -> bool {
        self.session_token.is_some()
    }

    /// Expiration as RFC 3339 UTC with whole seconds, e.g. `2026-11-22T23:02:59Z`.
    pub fn expiration_rfc3339(&self) -> Option<String> {
        self.expiration.map(rfc3339)
    }

    /// Every secret string this value holds, so that error text from elsewhere can be
    /// scrubbed of them before it is shown.
    pub fn secrets(&self) -> Vec<&str> {
        let mut v = vec![self.secret()];
        v.extend(self.token());
        v
    }
}

/// Text from elsewhere (an AWS or sign-in endpoint answer) made safe to show: folded to one
/// line, with any of `secrets` replaced. AWS does not echo secrets; this is belt and braces.
pub fn scrub<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for s in secrets {
        if s.len() >= 8 {
            out = out.replace(s, "** redacted **");
        }
    }
    out
}

/// Formats a time as RFC 3339 in UTC, truncated to whole seconds (what the AWS CLI and the
/// `credential_process` consumers expect).
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiration", &self.expiration_rfc3339())
            .field("origin", &self.origin)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.access_key_id, self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: SecretString::from("s3cr3t-value"),
            session_token: Some(SecretString::from("tok-value")),
            expiration: Some(time::macros::datetime!(2026-11-22 23:02:59.932 UTC)),
            origin: Origin::AssumedRole { chained: false },
        }
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let c = sample();
        for text in [format!("{c:?}"), format!("{c:#?}"), c.to_string()] {
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(!text.contains("tok-value"), "{text}");
            assert!(text.contains("ASIAEXAMPLE"));
        }
    }

    #[test]
    fn scrub_folds_and_redacts() {
        assert_eq!(
            scrub("a\n  b s3cr3t-value c", ["s3cr3t-value"]),
            "a b ** redacted ** c"
        );
        assert_eq!(
            scrub("short x", ["x"]),
            "short x",
            "too short to be a secret"
        );
    }

    #[test]
    fn expiration_is_whole_seconds_utc() {
        assert_eq!(
            sample().expiration_rfc3339().as_deref(),
            Some("2026-11-22T23:02:59Z")
        );
    }
}
