//! The chain's stable text form, for the fixture tests and `-v`. It never holds a command
//! line (`credential_process`, `mfa_process` may carry secrets): only that one is set.

use std::fmt;

use super::chain::{Chain, MfaDevice, SdkSource, Source, Step};

fn mfa(d: &MfaDevice) -> String {
    format!(
        " mfa={}{}",
        d.serial,
        if d.process.is_some() {
            " (mfa_process)"
        } else {
            ""
        }
    )
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::StaticKeys { profile, temporary } => write!(
                f,
                "keys of profile {profile} ({})",
                if *temporary { "temporary" } else { "long-term" }
            ),
            Source::Process { profile, .. } => write!(f, "credential_process of profile {profile}"),
            Source::Stored { profile } => {
                write!(f, "long-term key of profile {profile} in the key store")
            }
            Source::Environment => f.write_str("the environment's keys"),
            Source::Given(k) => write!(f, "the keys given ({})", k.0.access_key_id),
            Source::Sso(r) => write!(
                f,
                "IAM Identity Center role {} in account {} ({})",
                r.role_name,
                r.account_id,
                r.session.label()
            ),
            Source::Sdk(SdkSource::Ec2InstanceMetadata) => {
                f.write_str("the EC2 instance metadata service")
            }
            Source::Sdk(SdkSource::EcsContainer) => {
                f.write_str("the container credentials endpoint")
            }
            Source::Sdk(SdkSource::DefaultChain { profile }) => match profile {
                Some(p) => write!(f, "the SDK's default chain for profile {p}"),
                None => f.write_str("the SDK's default chain"),
            },
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.profiles.is_empty() {
            writeln!(f, "chain: {}", self.profiles.join(" -> "))?;
        }
        writeln!(f, "source: {}", self.source)?;
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            match s {
                Step::SessionToken(s) => {
                    write!(
                        f,
                        "{n}. GetSessionToken{}",
                        s.mfa.as_ref().map(mfa).unwrap_or_default()
                    )?;
                    if let Some(d) = s.duration_seconds {
                        write!(f, " duration={d}")?;
                    }
                }
                Step::AssumeRole(r) => {
                    write!(f, "{n}. AssumeRole {}", r.role_arn)?;
                    if let Some(p) = &r.profile {
                        write!(f, " (profile {p})")?;
                    }
                    if let Some(d) = r.duration_seconds {
                        write!(f, " duration={d}")?;
                    }
                    if let Some(m) = &r.mfa {
                        f.write_str(&mfa(m))?;
                    }
                    if let Some(x) = &r.external_id {
                        write!(f, " external_id={x}")?;
                    }
                    if let Some(n) = &r.session_name {
                        write!(f, " session_name={n}")?;
                    }
                }
                Step::FederationToken(t) => {
                    write!(f, "{n}. GetFederationToken name={}", t.name)?;
                    if let Some(d) = t.duration_seconds {
                        write!(f, " duration={d}")?;
                    }
                }
            }
            writeln!(f)?;
        }
        let region = self.region.as_ref().map(|r| r.region.as_str());
        writeln!(f, "region: {}", region.unwrap_or("(none)"))
    }
}
