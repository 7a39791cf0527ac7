//! Which input a validation error is about. The library names the field; who asked renders
//! it: the CLI as its flag (`--session-name`), the broker as its config key or query
//! parameter (`roles.lab.max_duration`, `?duration=`). Keys of files and variables are
//! named as they are written (`role_arn (profile lab)`, `AWS_REGION`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    RoleArn,
    SessionName,
    Duration,
    ExternalId,
    MfaSerial,
    MfaCode,
    /// An inline session policy given as text.
    Policy,
    /// An inline session policy read from a file.
    PolicyFile,
    PolicyArn,
    Tag,
    TransitiveTag,
    SourceIdentity,
    Region,
    SourceProfile,
    Profile,
    FederatedUser,
    Issuer,
    Service,
    Destination,
    /// A key of a file or a variable, named as it is written, or a caller's own name.
    Named(String),
}

impl fmt::Display for Field {
    /// A neutral name, for whoever does not render fields themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Field::RoleArn => "role ARN",
            Field::SessionName => "session name",
            Field::Duration => "duration",
            Field::ExternalId => "external id",
            Field::MfaSerial => "MFA serial",
            Field::MfaCode => "MFA code",
            Field::Policy => "session policy",
            Field::PolicyFile => "session policy file",
            Field::PolicyArn => "managed session policy ARN",
            Field::Tag => "session tag",
            Field::TransitiveTag => "transitive tag key",
            Field::SourceIdentity => "source identity",
            Field::Region => "region",
            Field::SourceProfile => "source profile",
            Field::Profile => "profile",
            Field::FederatedUser => "federated user name",
            Field::Issuer => "issuer",
            Field::Service => "console service",
            Field::Destination => "console destination",
            Field::Named(n) => n,
        };
        f.write_str(name)
    }
}

impl From<&str> for Field {
    fn from(s: &str) -> Self {
        Field::Named(s.to_owned())
    }
}

impl From<String> for Field {
    fn from(s: String) -> Self {
        Field::Named(s)
    }
}

impl From<&String> for Field {
    fn from(s: &String) -> Self {
        Field::Named(s.clone())
    }
}

impl From<&Field> for Field {
    fn from(f: &Field) -> Self {
        f.clone()
    }
}
