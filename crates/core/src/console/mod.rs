//! Console sign-in links ("magic links"): which credentials can become one and with which
//! `SessionDuration` (decided from the credentials' origin), the partition's hosts, and the
//! federation endpoint calls (ARCHITECTURE.md, "Console sign-in").

mod hosts;
mod signin;

pub use hosts::{destination, logout_base, signin_base};
pub use signin::{Federation, login_url, logout_wrapped};

use crate::rules::{Field, Invalid, Partition};
use crate::{Credentials, Error, Origin};

/// What the user asked of a link, before anything is sent.
#[derive(Debug, Clone, Default)]
pub struct LinkOptions {
    /// `Issuer`: where the console sends the user when the session ends.
    pub issuer: String,
    /// `--service`: a console page by alias (s3, ec2, iam, …).
    pub service: Option<String>,
    /// `--destination`: a console URL of the user's choice (https).
    pub destination: Option<String>,
    /// `--logout-first`: sign out of any console session in the browser first.
    pub logout_first: bool,
    /// `TEMPCREDS_FEDERATION_ENDPOINT`: the full `…/federation` URL to use instead.
    pub federation_override: Option<String>,
}

/// A link whose every input is checked: only the network calls remain.
#[derive(Debug, Clone)]
pub struct PreparedLink {
    pub federation: Federation,
    /// The sign-out endpoint, when `--logout-first` was asked for.
    pub logout: Option<String>,
    pub destination: String,
    pub issuer: String,
}

/// Checks the link options for the partition and region, and picks the endpoints. Pure.
pub fn prepare(
    partition: Partition,
    region: &str,
    opts: &LinkOptions,
) -> Result<PreparedLink, Invalid> {
    let destination = match (&opts.destination, &opts.service) {
        (Some(_), Some(_)) => {
            return Err(Invalid::new(
                Field::Destination,
                "cannot be used together with a console service",
            ));
        }
        (Some(d), None) => {
            if !d.starts_with("https://") || d.len() < 12 || d.chars().any(char::is_whitespace) {
                return Err(Invalid::new(
                    Field::Destination,
                    format!("\"{d}\" must be an https:// URL"),
                ));
            }
            d.clone()
        }
        (None, service) => destination(partition, region, service.as_deref())?,
    };
    if opts.issuer.trim().is_empty() {
        return Err(Invalid::new(Field::Issuer, "must not be empty"));
    }
    let (federation, logout) = match &opts.federation_override {
        Some(url) => {
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || !url.ends_with("/federation")
            {
                return Err(Invalid::new(
                    "TEMPCREDS_FEDERATION_ENDPOINT",
                    format!("\"{url}\" must be the full URL of a …/federation endpoint"),
                ));
            }
            let oauth = format!("{}/oauth", url.trim_end_matches("/federation"));
            (url.clone(), oauth)
        }
        None => (
            format!("{}/federation", signin_base(partition, region)?),
            format!("{}/oauth", logout_base(partition)?),
        ),
    };
    Ok(PreparedLink {
        federation: Federation { url: federation },
        logout: opts.logout_first.then_some(logout),
        destination,
        issuer: opts.issuer.clone(),
    })
}

impl PreparedLink {
    /// Mints the link: getSigninToken with these credentials, then the login URL (wrapped
    /// in the sign-out redirect if asked). The result is a secret.
    pub async fn mint(
        &self,
        creds: &Credentials,
        session_duration: Option<u32>,
    ) -> Result<String, Error> {
        let token = self
            .federation
            .signin_token(creds, session_duration)
            .await?;
        let login = login_url(&self.federation, &self.issuer, &self.destination, &token);
        Ok(match &self.logout {
            Some(oauth) => logout_wrapped(oauth, &login),
            None => login,
        })
    }
}

/// AWS accepts `SessionDuration` from 15 minutes to 12 hours.
pub const SESSION_DURATION_MIN: u32 = 900;
pub const SESSION_DURATION_MAX: u32 = 43200;

/// What to send as `SessionDuration` for credentials of this origin, given the console
/// session length the user asked for (already checked to be 900..=43200).
///
/// - AssumeRole from long-term keys: the requested length may be sent.
/// - Role-chained credentials: never (the endpoint answers HTTP 400, field evidence from five
///   tools); the console lasts as long as the credentials, at most one hour.
/// - GetFederationToken credentials: never (the call fails); the length comes from
///   GetFederationToken's own DurationSeconds.
/// - GetSessionToken credentials and long-term keys cannot sign in at all.
pub fn session_duration(origin: Origin, requested: Option<u32>) -> Result<Option<u32>, Error> {
    match origin {
        Origin::AssumedRole { chained: false } => Ok(requested),
        Origin::AssumedRole { chained: true } | Origin::FederationToken | Origin::Broker => Ok(None),
        Origin::SessionToken => Err(Error::refused(
            "GetSessionToken (MFA session) credentials cannot sign in to the console: AWS allows only role and federation-token credentials (\"Only federation tokens or assume role tokens may be used for federated login\")",
            Some("assume a role with them, and sign in with the role's credentials".to_owned()),
        )),
        Origin::LongTerm => Err(Error::refused(
            "long-term IAM user keys cannot sign in to the console directly",
            Some("sign in as a federated user (GetFederationToken, with a session policy), or through a role".to_owned()),
        )),
        Origin::Process => Err(Error::refused(
            "credentials from a credential_process cannot be told apart (role, MFA session or user keys), so no link is made from them",
            Some("name the role to sign in as".to_owned()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> LinkOptions {
        LinkOptions {
            issuer: "tempcreds".into(),
            ..Default::default()
        }
    }

    #[test]
    fn prepare_picks_endpoints_and_checks_inputs() {
        let p = prepare(Partition::Aws, "eu-west-1", &opts()).unwrap();
        assert_eq!(
            p.federation.url,
            "https://eu-west-1.signin.aws.amazon.com/federation"
        );
        assert_eq!(
            p.destination,
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert!(p.logout.is_none());
        let o = LinkOptions {
            logout_first: true,
            federation_override: Some("http://127.0.0.1:9/federation".into()),
            ..opts()
        };
        let p = prepare(Partition::AwsCn, "cn-north-1", &o).unwrap();
        assert_eq!(p.federation.url, "http://127.0.0.1:9/federation");
        assert_eq!(p.logout.as_deref(), Some("http://127.0.0.1:9/oauth"));
        let o = LinkOptions {
            logout_first: true,
            ..opts()
        };
        assert_eq!(
            prepare(Partition::Aws, "eu-west-1", &o)
                .unwrap()
                .logout
                .as_deref(),
            Some("https://signin.aws.amazon.com/oauth")
        );
        let bad = |o: LinkOptions| prepare(Partition::Aws, "eu-west-1", &o).unwrap_err().field;
        assert_eq!(
            bad(LinkOptions {
                destination: Some("http://x.example/".into()),
                ..opts()
            }),
            Field::Destination
        );
        assert_eq!(
            bad(LinkOptions {
                destination: Some("https://x.example/".into()),
                service: Some("s3".into()),
                ..opts()
            }),
            Field::Destination
        );
        assert_eq!(
            bad(LinkOptions {
                issuer: " ".into(),
                ..opts()
            }),
            Field::Issuer
        );
        assert_eq!(
            bad(LinkOptions {
                federation_override: Some("http://x/".into()),
                ..opts()
            }),
            Field::from("TEMPCREDS_FEDERATION_ENDPOINT")
        );
        assert_eq!(
            prepare(Partition::AwsIso, "us-iso-east-1", &opts())
                .unwrap_err()
                .field,
            Field::Region
        );
    }

    #[test]
    fn session_duration_follows_the_origin() {
        assert_eq!(
            session_duration(Origin::AssumedRole { chained: false }, Some(7200)).unwrap(),
            Some(7200)
        );
        assert_eq!(
            session_duration(Origin::AssumedRole { chained: false }, None).unwrap(),
            None
        );
        assert_eq!(
            session_duration(Origin::AssumedRole { chained: true }, Some(7200)).unwrap(),
            None
        );
        assert_eq!(
            session_duration(Origin::FederationToken, Some(7200)).unwrap(),
            None
        );
        for o in [Origin::SessionToken, Origin::LongTerm, Origin::Process] {
            assert_eq!(session_duration(o, None).unwrap_err().exit_code(), 2);
        }
    }
}
