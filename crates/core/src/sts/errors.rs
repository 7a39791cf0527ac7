//! Turning SDK errors into one-line messages with a hint for the common cases
//! (ARCHITECTURE.md, "Common errors"). Messages never carry a secret: AWS does not
//! echo them, and any that did would be scrubbed here.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use secrecy::{ExposeSecret, SecretString};

use crate::Error;
use crate::credentials::scrub;

/// What the failed call was about, for choosing a hint.
pub(crate) struct Context<'a> {
    /// "STS" or "IAM".
    pub(crate) service: &'static str,
    pub(crate) operation: &'static str,
    pub(crate) region: &'a str,
    pub(crate) role_arn: Option<String>,
    pub(crate) duration: Option<u32>,
    pub(crate) mfa: bool,
    pub(crate) secrets: &'a [SecretString],
}

pub(crate) fn from_sdk<E, R>(err: SdkError<E, R>, ctx: &Context<'_>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + RawBody + 'static,
{
    let scrub = |s: &str| scrub(s, ctx.secrets.iter().map(|x| x.expose_secret()));
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            // The SDK finds the code in the documented `<ErrorResponse><Error>` shape; an
            // answer shaped otherwise (moto's auth errors use IAM's `<Errors><Error>`, some
            // gateways too) still carries `<Code>` and `<Message>`, so read them directly.
            let body = se.raw().body_text();
            let code = e
                .code()
                .map(str::to_owned)
                .or_else(|| xml_field(&body, "Code"))
                .unwrap_or_else(|| "Unknown".to_owned());
            let message = e
                .message()
                .map(str::to_owned)
                .or_else(|| xml_field(&body, "Message"))
                .unwrap_or_else(|| "(no message)".to_owned());
            let message = scrub(&message);
            let hint = hint(&code, &message, ctx);
            Error::Aws {
                service: ctx.service,
                operation: ctx.operation,
                code,
                message,
                hint,
            }
        }
        SdkError::TimeoutError(_) => Error::Transport {
            message: format!("{} {} timed out", ctx.service, ctx.operation),
            hint: Some(network_hint(ctx.region)),
        },
        SdkError::DispatchFailure(d) => {
            let what = if d.is_timeout() {
                "timed out"
            } else if d.is_io() {
                "could not connect"
            } else {
                "failed to send"
            };
            Error::Transport {
                message: scrub(&format!(
                    "{} {} {what}: {}",
                    ctx.service,
                    ctx.operation,
                    causes(&err, 2)
                )),
                hint: Some(network_hint(ctx.region)),
            }
        }
        _ => Error::Transport {
            message: scrub(&format!(
                "{} {} failed: {}",
                ctx.service,
                ctx.operation,
                causes(&err, 3)
            )),
            hint: None,
        },
    }
}

fn network_hint(region: &str) -> String {
    format!(
        "check the network, any HTTPS_PROXY, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS (region {region})"
    )
}

/// The hint for an AWS error code, in the words a user can act on.
fn hint(code: &str, message: &str, ctx: &Context<'_>) -> Option<String> {
    if ctx.service == "IAM" {
        return iam_hint(code, message);
    }
    if ctx.service.starts_with("SSO") {
        return sso_hint(code);
    }
    let h = match code {
        "InvalidClientTokenId" => "AWS does not know the source access key: check AWS_ACCESS_KEY_ID or the source profile's aws_access_key_id (a just-created key can take a few seconds to work)".to_owned(),
        "SignatureDoesNotMatch" => "the source secret access key does not match its key id, or the keys belong to another partition than the region's (aws, aws-cn, aws-us-gov)".to_owned(),
        "AccessDenied" if message.contains("MultiFactorAuthentication") => "the MFA code was refused: wait for the next code (a code works once per 30 seconds) and check that the MFA serial is the caller's device".to_owned(),
        "AccessDenied" => format!(
            "either the caller lacks sts:AssumeRole on {}, or the role's trust policy does not name the caller{}",
            ctx.role_arn.as_deref().unwrap_or("the role"),
            if ctx.mfa { "" } else { " (or it requires MFA or an external id)" }
        ),
        "ExpiredToken" | "ExpiredTokenException" => "the source credentials have expired: refresh them (new session token, or re-run the command that produced them)".to_owned(),
        "RegionDisabledException" => format!(
            "STS is not activated in {}: activate it in the IAM console (Account settings), or use another region",
            ctx.region
        ),
        "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => "the session policy is JSON but not a valid IAM policy: check Version, Statement, Effect, Action and Resource".to_owned(),
        "PackedPolicyTooLarge" | "PackedPolicyTooLargeException" => "the session policy and session tags together are too large once packed by AWS: shorten the policy or pass fewer tags".to_owned(),
        "ValidationError" if message.contains("DurationSeconds") || message.contains("duration") => format!(
            "the requested duration{} is above the role's maximum session duration: ask for less, or raise the role's MaxSessionDuration",
            ctx.duration.map(|d| format!(" ({d} s)")).unwrap_or_default()
        ),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => "STS is throttling these calls: wait a moment and try again".to_owned(),
        _ => return None,
    };
    Some(h)
}

/// IAM Identity Center's errors (portal and OIDC).
fn sso_hint(code: &str) -> Option<String> {
    let h = match code {
        "UnauthorizedException" | "InvalidClientException" | "ExpiredTokenException" => {
            "the SSO sign-in has ended or was revoked: run `tempcreds sso login`"
        }
        "ForbiddenException" | "AccessDeniedException" | "ResourceNotFoundException" => {
            "this user is not assigned that account and role in IAM Identity Center: check sso_account_id and sso_role_name (`tempcreds sso populate` lists what you can reach)"
        }
        "TooManyRequestsException" | "SlowDownException" => {
            "IAM Identity Center is throttling these calls: wait a moment and try again"
        }
        _ => return None,
    };
    Some(h.to_owned())
}

/// IAM's errors during setup and teardown (ARCHITECTURE.md, "IAM provisioning facts").
fn iam_hint(code: &str, message: &str) -> Option<String> {
    let h = match code {
        "AccessDenied" | "AccessDeniedException" => {
            "the caller lacks this IAM permission: run setup/teardown with an administrator's credentials (AWS_PROFILE, or the source profile)"
        }
        "InvalidClientTokenId" => {
            "AWS does not know the caller's access key: check AWS_ACCESS_KEY_ID or the profile"
        }
        "LimitExceeded" if message.contains("AccessKeysPerUser") => {
            "the user already has two access keys, IAM's limit: delete one (aws iam delete-access-key) or run teardown"
        }
        "LimitExceeded" => {
            "an IAM quota is reached (policies per role, users, MFA devices): see the message"
        }
        "MalformedPolicyDocument" => {
            "the policy is JSON but not a valid IAM policy: check Version, Statement, Effect, Action and Resource"
        }
        "DeleteConflict" => {
            "IAM still holds something attached to it (a login profile, group, key or policy that tempcreds did not create): remove it, or look with the AWS CLI"
        }
        "EntityTemporarilyUnmodifiable" | "ConcurrentModification" => {
            "IAM is busy with this entity: wait a moment and re-run (setup and teardown are idempotent)"
        }
        _ => return None,
    };
    Some(h.to_owned())
}

/// The innermost `keep` distinct messages of an error's source chain, joined with ": ":
/// the SDK's outer layers say "dispatch failure" or "io error", the inner ones say what
/// happened. Display text only (never `Debug`), folded to one line, at most 160 characters.
pub(crate) fn causes(e: &(dyn StdError + 'static), keep: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(x) = current {
        let text = x
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = x.source();
    }
    let start = parts.len().saturating_sub(keep);
    let joined = parts[start..].join(": ");
    match joined.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

/// What was asked for source credentials, named in words in the error.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tried<'a> {
    /// The SDK's default chain, for this profile (None: none named, so `AWS_PROFILE` or
    /// `default`, which the second field names).
    DefaultChain(Option<&'a str>, &'a str),
    Given,
    Imds,
    Ecs,
}

impl Tried<'_> {
    fn words(self) -> String {
        match self {
            Tried::DefaultChain(p, implied) => format!(
                "tried the environment, the shared files (profile {}), web identity, the container endpoint and the instance metadata service",
                p.unwrap_or(implied)
            ),
            Tried::Given => "the credentials given were not accepted".to_owned(),
            Tried::Imds => "tried the EC2 instance metadata service".to_owned(),
            Tried::Ecs => "tried the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI)".to_owned(),
        }
    }
}

/// The error for a source that gave no credentials (or failed to load them).
pub(crate) fn no_source_credentials(tried: Tried<'_>, err: Option<&CredentialsError>) -> Error {
    let message = match err {
        Some(CredentialsError::CredentialsNotLoaded(_)) | None => {
            format!("no credentials found: {}", tried.words())
        }
        Some(e) => format!(
            "could not load the source credentials: {}",
            scrub(&causes(e, 3), [])
        ),
    };
    let hint = match tried {
        Tried::DefaultChain(Some(p), _) => format!(
            "check that profile \"{p}\" exists in AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE and holds keys"
        ),
        Tried::DefaultChain(None, _) => "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a source profile (AWS_PROFILE)".to_owned(),
        Tried::Given => "check the keys".to_owned(),
        Tried::Imds => "run on an EC2 instance with a role, or point AWS_EC2_METADATA_SERVICE_ENDPOINT at a metadata service".to_owned(),
        Tried::Ecs => "run in a container with a task role, or set AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
    };
    Error::Transport {
        message,
        hint: Some(hint),
    }
}

/// Access to an HTTP response's body as text, for the fallback above.
pub(crate) trait RawBody {
    fn body_text(&self) -> String;
}

impl RawBody for aws_smithy_runtime_api::http::Response {
    fn body_text(&self) -> String {
        self.body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }
}

/// The text of the first `<name>…</name>` element, with XML's predefined entities decoded.
fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{name}>"))?;
    let text = body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(secrets: &'a [SecretString]) -> Context<'a> {
        Context {
            service: "STS",
            operation: "AssumeRole",
            region: "eu-west-1",
            role_arn: Some("arn:aws:iam::123456789012:role/Lab".into()),
            duration: Some(7200),
            mfa: false,
            secrets,
        }
    }

    #[test]
    fn hints_for_common_codes() {
        let c = ctx(&[]);
        assert!(
            hint("InvalidClientTokenId", "", &c)
                .unwrap()
                .contains("AWS_ACCESS_KEY_ID")
        );
        assert!(
            hint("SignatureDoesNotMatch", "", &c)
                .unwrap()
                .contains("secret access key")
        );
        assert!(
            hint("AccessDenied", "User is not authorized", &c)
                .unwrap()
                .contains("sts:AssumeRole on arn:aws:iam::123456789012:role/Lab")
        );
        assert!(
            hint(
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                &c
            )
            .unwrap()
            .contains("MFA code")
        );
        assert!(hint("ExpiredToken", "", &c).unwrap().contains("expired"));
        assert!(
            hint("RegionDisabledException", "", &c)
                .unwrap()
                .contains("eu-west-1")
        );
        assert!(
            hint(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                &c
            )
            .unwrap()
            .contains("7200")
        );
        assert!(hint("MalformedPolicyDocument", "", &c).is_some());
        assert!(hint("PackedPolicyTooLarge", "", &c).is_some());
        assert_eq!(hint("SomethingNew", "", &c), None);
    }

    #[test]
    fn xml_fields_from_either_error_shape() {
        let iam = "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The token &amp; key</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            xml_field(iam, "Code").as_deref(),
            Some("InvalidClientTokenId")
        );
        assert_eq!(
            xml_field(iam, "Message").as_deref(),
            Some("The token & key")
        );
        assert_eq!(xml_field("<html>", "Code"), None);
    }

    #[test]
    fn scrub_removes_secrets_and_folds_to_one_line() {
        let secrets = [SecretString::from("wJalrXUtnFEMI/K7MDENG")];
        let scrub = |t: &str| scrub(t, secrets.iter().map(|s| s.expose_secret()));
        assert_eq!(
            scrub("key wJalrXUtnFEMI/K7MDENG here"),
            "key ** redacted ** here"
        );
        assert_eq!(scrub("a\n  b\r\nc"), "a b c");
    }
}
