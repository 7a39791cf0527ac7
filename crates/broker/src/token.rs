//! Broker tokens: `tcb_<id>_<secret>`, 128 random bits of secret. Only the id (the lookup
//! key) and the SHA-256 of the secret are stored; the token is shown once, at `user add`.
//! A token this random needs no slow hash (nothing to brute-force), and the comparison of
//! hashes runs in constant time, so response timing tells nothing about a near miss.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tempcreds_store::TokenRecord;

const PREFIX: &str = "tcb_";

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator failing is not something to serve on.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random generator failed");
    hex::encode(buf)
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token that does not expire, and what to store of it.
pub fn mint() -> (SecretString, TokenRecord) {
    mint_expiring(None)
}

/// A new token refused after `expires_at` (unix seconds), and what to store of it.
pub fn mint_expiring(expires_at: Option<i64>) -> (SecretString, TokenRecord) {
    let id = random_hex(6);
    let secret = random_hex(16);
    let record = TokenRecord {
        id: id.clone(),
        hash_hex: digest(&secret),
        expires_at,
    };
    (SecretString::from(format!("{PREFIX}{id}_{secret}")), record)
}

/// The id and secret of a presented token, if it has the shape of one.
pub fn split(token: &SecretString) -> Option<(String, SecretString)> {
    let rest = token.expose_secret().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hexish = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexish(id, 12) && hexish(secret, 32)).then(|| (id.to_owned(), SecretString::from(secret)))
}

/// Whether the secret matches the stored hash, in constant time.
pub fn matches(secret: &SecretString, record: &TokenRecord) -> bool {
    let presented = digest(secret.expose_secret());
    presented
        .as_bytes()
        .ct_eq(record.hash_hex.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_matches_its_record_and_nothing_else() {
        let (token, record) = mint();
        assert!(!record.hash_hex.contains(token.expose_secret()));
        let (id, secret) = split(&token).expect("well-formed");
        assert_eq!(id, record.id);
        assert!(matches(&secret, &record));
        let (other, _) = mint();
        let (_, other_secret) = split(&other).expect("well-formed");
        assert!(!matches(&other_secret, &record));
        assert_ne!(token.expose_secret(), other.expose_secret());
    }

    #[test]
    fn malformed_tokens_are_not_looked_up() {
        for bad in [
            "",
            "tcb_",
            "tcb_abc_def",
            "xyz_0123456789ab_0123456789abcdef0123456789abcdef",
            "tcb_0123456789ab_0123456789abcdef0123456789abcdeg",
        ] {
            assert!(split(&SecretString::from(bad)).is_none(), "{bad}");
        }
    }
}
