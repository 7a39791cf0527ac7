//! IAM on the official SDK: the client, and the helpers its two halves share (`read`: the
//! state of user and role `NAME`; `write`: applying a setup or teardown plan). Errors
//! become one line with a hint (the STS error mapper, told the service is IAM); no secret
//! reaches an error or a log.

mod access_keys;
mod read;
mod write;

pub use access_keys::{KeyInfo, NewKey};

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::Tag;
use secrecy::SecretString;
use serde_json::Value;

use crate::provision::totp::Seed;
use crate::sts::{Context, RawBody, SdkSts, from_sdk};
use crate::{Credentials, Error};

/// An IAM client signing as the caller of `sts` (the administrator running setup).
pub struct SdkIam {
    client: Client,
    secrets: Vec<SecretString>,
    /// Told when a retry starts waiting for IAM (the CLI shows it by its spinner).
    waiting: Box<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for SdkIam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SdkIam")
    }
}

/// What applying a change produced that the caller needs.
#[derive(Debug)]
pub enum Made {
    Nothing,
    Key(Credentials),
    /// A virtual MFA device, not yet enabled: its serial and seed.
    Device {
        serial: String,
        seed: Seed,
    },
}

fn is(code: Option<&str>, want: &str) -> bool {
    code == Some(want)
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn decode_policy(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or(Value::Null)
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn tag(k: &str, v: &str) -> Result<Tag, Error> {
    Tag::builder()
        .key(k)
        .value(v)
        .build()
        .map_err(|e| Error::Transport {
            message: format!("could not build a tag: {e}"),
            hint: None,
        })
}

impl SdkIam {
    pub fn new(sts: &SdkSts, waiting: Box<dyn Fn(&str) + Send + Sync>) -> Self {
        Self {
            client: Client::new(sts.sdk_config()),
            secrets: sts.secrets().to_vec(),
            waiting,
        }
    }

    pub fn waiting(&self) -> &(dyn Fn(&str) + Send + Sync) {
        self.waiting.as_ref()
    }

    fn err<E, R>(&self, operation: &'static str) -> impl Fn(SdkError<E, R>) -> Error + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + RawBody + 'static,
    {
        move |e| {
            from_sdk(
                e,
                &Context {
                    service: "IAM",
                    operation,
                    region: "global",
                    role_arn: None,
                    duration: None,
                    mfa: false,
                    secrets: &self.secrets,
                },
            )
        }
    }
}
