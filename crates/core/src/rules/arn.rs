//! Partitions, regions and the ARNs the tool accepts (roles, managed policies).

use std::fmt;

use super::{Field, Invalid, check, is_sts_identifier_char};

/// An AWS partition: a separate set of regions with its own endpoints and ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
    AwsIso,
    AwsIsoB,
}

impl Partition {
    pub const ALL: [Partition; 5] = [
        Partition::Aws,
        Partition::AwsCn,
        Partition::AwsUsGov,
        Partition::AwsIso,
        Partition::AwsIsoB,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsIso => "aws-iso",
            Partition::AwsIsoB => "aws-iso-b",
        }
    }

    fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The region STS is called in when no region is configured. Partitions other than
    /// `aws` have no global endpoint and must use a regional one (ARCHITECTURE.md, "Regional
    /// STS endpoints"), so each gets its own default.
    pub fn default_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsCn => "cn-north-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsIso => "us-iso-east-1",
            Partition::AwsIsoB => "us-isob-east-1",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The partition a region belongs to, from its name.
pub fn partition_of_region(region: &str) -> Partition {
    if region.starts_with("cn-") {
        Partition::AwsCn
    } else if region.starts_with("us-gov-") {
        Partition::AwsUsGov
    } else if region.starts_with("us-isob-") {
        Partition::AwsIsoB
    } else if region.starts_with("us-iso-") {
        Partition::AwsIso
    } else {
        Partition::Aws
    }
}

/// A region name of the shape AWS uses (`eu-west-1`, `us-gov-west-1`, `cn-north-1`). A typo
/// here would otherwise become a request to a host that does not exist.
pub fn region(flag: impl Into<Field>, value: &str) -> Result<(), Invalid> {
    let flag = &flag.into();
    let parts: Vec<&str> = value.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            flag,
            format!("\"{value}\" is not a region name like eu-west-1"),
        ))
    }
}

/// A parsed role ARN: `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub partition: Partition,
    pub account: String,
    pub path: String,
    pub name: String,
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:role{}{}",
            self.partition, self.account, self.path, self.name
        )
    }
}

const ROLE_ARN_SHAPE: &str = "must be arn:PARTITION:iam::ACCOUNT:role/NAME (ACCOUNT is 12 digits)";

/// Splits `arn:PARTITION:iam::ACCOUNT:KIND/...` and checks the parts every IAM ARN shares.
/// Returns the partition, the account and what follows `KIND`.
fn iam_arn<'a>(
    flag: &Field,
    value: &'a str,
    kind: &str,
    shape: &str,
    account_ok: fn(&str) -> bool,
) -> Result<(Partition, &'a str, &'a str), Invalid> {
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = fields[..] else {
        return Err(Invalid::new(flag, shape));
    };
    if arn != "arn" || service != "iam" || !region.is_empty() {
        return Err(Invalid::new(flag, shape));
    }
    let partition = Partition::from_id(partition).ok_or_else(|| {
        let known: Vec<&str> = Partition::ALL.iter().map(|p| p.id()).collect();
        Invalid::new(
            flag,
            format!(
                "unknown partition \"{partition}\" (one of {})",
                known.join(", ")
            ),
        )
    })?;
    if !account_ok(account) {
        return Err(Invalid::new(
            flag,
            format!("{shape}; \"{account}\" is not a 12-digit account id"),
        ));
    }
    let rest = resource
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| Invalid::new(flag, shape))?;
    Ok((partition, account, rest))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `PATH/NAME` after the kind, checking the IAM path rule: `/` or `/segments/` of
/// printable ASCII (`\u0021-\u007E`), at most 512 characters.
fn path_and_name<'a>(flag: &Field, rest: &'a str) -> Result<(String, &'a str), Invalid> {
    let (path, name) = match rest.rfind('/') {
        Some(i) => (format!("/{}/", &rest[..i]), &rest[i + 1..]),
        None => ("/".to_owned(), rest),
    };
    if path.len() > 512 || path.contains("//") || !path.bytes().all(|b| (0x21..=0x7e).contains(&b))
    {
        return Err(Invalid::new(
            flag,
            "the path must be /segments/ of printable ASCII, at most 512 characters",
        ));
    }
    Ok((path, name))
}

/// Role ARNs, per the STS `RoleArn` constraints (20..=2048 chars) and IAM's role name rule
/// (1..=64 chars of `[\w+=,.@-]`).
pub fn role_arn(flag: impl Into<Field>, value: &str) -> Result<RoleArn, Invalid> {
    let flag = &flag.into();
    let (partition, account, rest) = iam_arn(flag, value, "role", ROLE_ARN_SHAPE, is_account_id)?;
    let (path, name) = path_and_name(flag, rest)?;
    check(
        flag,
        name,
        1,
        64,
        is_sts_identifier_char,
        "A-Z a-z 0-9 _+=,.@- in the role name",
    )?;
    if value.len() > 2048 {
        return Err(Invalid::new(flag, "must be at most 2048 characters"));
    }
    Ok(RoleArn {
        partition,
        account: account.to_owned(),
        path,
        name: name.to_owned(),
    })
}

/// Managed session policies (`PolicyArns`): at most 10, each
/// `arn:PARTITION:iam::ACCOUNT|aws:policy/PATH/NAME`.
pub fn policy_arns(flag: impl Into<Field>, values: &[String]) -> Result<(), Invalid> {
    let flag = &flag.into();
    if values.len() > 10 {
        return Err(Invalid::new(
            flag,
            format!("at most 10 managed session policies (got {})", values.len()),
        ));
    }
    const SHAPE: &str = "must be arn:PARTITION:iam::ACCOUNT:policy/NAME (ACCOUNT is 12 digits, or \"aws\" for AWS managed policies)";
    for v in values {
        let (_, _, rest) = iam_arn(flag, v, "policy", SHAPE, |a| a == "aws" || is_account_id(a))?;
        let (_, name) = path_and_name(flag, rest)?;
        check(
            flag,
            name,
            1,
            128,
            is_sts_identifier_char,
            "A-Z a-z 0-9 _+=,.@- in the policy name",
        )?;
    }
    Ok(())
}
