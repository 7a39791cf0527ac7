//! Which sign-in and console hosts a partition and region use, and the console page a link
//! opens (ARCHITECTURE.md, "Endpoints"). Pure functions, unit-tested as a table.

use crate::rules::{Field, Invalid, Partition};

/// The sign-in host: the regional host for commercial regions other than us-east-1 (AWS
/// recommends regional sign-in endpoints), the partition's own host elsewhere.
pub fn signin_base(partition: Partition, region: &str) -> Result<String, Invalid> {
    Ok(match partition {
        Partition::Aws if region == "us-east-1" => "https://signin.aws.amazon.com".to_owned(),
        Partition::Aws => format!("https://{region}.signin.aws.amazon.com"),
        Partition::AwsUsGov => "https://signin.amazonaws-us-gov.com".to_owned(),
        // From peer tools' code: AWS documents no China federation endpoint.
        Partition::AwsCn => "https://signin.amazonaws.cn".to_owned(),
        Partition::AwsIso | Partition::AwsIsoB => return Err(no_console(partition)),
    })
}

/// The sign-out endpoint that the logout redirect goes through. For the commercial
/// partition it works on the us-east-1 host, whatever the region.
pub fn logout_base(partition: Partition) -> Result<String, Invalid> {
    signin_base(partition, "us-east-1")
}

fn console_base(partition: Partition, region: Option<&str>) -> Result<String, Invalid> {
    Ok(match (partition, region) {
        (Partition::Aws, None | Some("us-east-1")) => "https://console.aws.amazon.com".to_owned(),
        (Partition::Aws, Some(r)) => format!("https://{r}.console.aws.amazon.com"),
        (Partition::AwsUsGov, _) => "https://console.amazonaws-us-gov.com".to_owned(),
        (Partition::AwsCn, _) => "https://console.amazonaws.cn".to_owned(),
        (Partition::AwsIso | Partition::AwsIsoB, _) => return Err(no_console(partition)),
    })
}

fn no_console(p: Partition) -> Invalid {
    Invalid::new(
        Field::Region,
        format!("partition {p} has no public console sign-in endpoint"),
    )
}

/// Common service aliases: name → (console path, global service).
const SERVICES: &[(&str, &str, bool)] = &[
    ("billing", "billing/home", true),
    ("cloudformation", "cloudformation/home", false),
    ("cfn", "cloudformation/home", false),
    ("cloudfront", "cloudfront/v4/home", true),
    ("cloudtrail", "cloudtrail/home", false),
    ("cloudwatch", "cloudwatch/home", false),
    ("console", "console/home", false),
    ("dynamodb", "dynamodbv2/home", false),
    ("ec2", "ec2/home", false),
    ("ecr", "ecr/home", false),
    ("ecs", "ecs/v2/home", false),
    ("eks", "eks/home", false),
    ("iam", "iam/home", true),
    ("kms", "kms/home", false),
    ("lambda", "lambda/home", false),
    ("organizations", "organizations/v2/home", true),
    ("rds", "rds/home", false),
    ("route53", "route53/v2/home", true),
    ("s3", "s3/home", false),
    ("secretsmanager", "secretsmanager/home", false),
    ("sns", "sns/v3/home", false),
    ("sqs", "sqs/v3/home", false),
    ("ssm", "systems-manager/home", false),
    ("vpc", "vpc/home", false),
];

/// The console URL a link opens: the service's page (or the console home) in the region,
/// with `?region=` so the console does not fall back to the browser's last region. Global
/// services get no region.
pub fn destination(
    partition: Partition,
    region: &str,
    service: Option<&str>,
) -> Result<String, Invalid> {
    let (path, global) = match service {
        None => ("console/home".to_owned(), false),
        Some(s) => match SERVICES
            .iter()
            .find(|(name, _, _)| *name == s.to_ascii_lowercase())
        {
            Some((_, path, global)) => ((*path).to_owned(), *global),
            None if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                (format!("{s}/home"), false)
            }
            None => {
                return Err(Invalid::new(
                    Field::Service,
                    format!(
                        "\"{s}\" is not a service name (lowercase letters, digits and -, e.g. s3, ec2, iam)"
                    ),
                ));
            }
        },
    };
    if global {
        Ok(format!("{}/{path}", console_base(partition, None)?))
    } else {
        Ok(format!(
            "{}/{path}?region={region}",
            console_base(partition, Some(region))?
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signin_hosts_per_partition() {
        assert_eq!(
            signin_base(Partition::Aws, "us-east-1").unwrap(),
            "https://signin.aws.amazon.com"
        );
        assert_eq!(
            signin_base(Partition::Aws, "eu-west-1").unwrap(),
            "https://eu-west-1.signin.aws.amazon.com"
        );
        assert_eq!(
            signin_base(Partition::AwsUsGov, "us-gov-west-1").unwrap(),
            "https://signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            signin_base(Partition::AwsCn, "cn-north-1").unwrap(),
            "https://signin.amazonaws.cn"
        );
        assert!(signin_base(Partition::AwsIso, "us-iso-east-1").is_err());
        assert_eq!(
            logout_base(Partition::Aws).unwrap(),
            "https://signin.aws.amazon.com"
        );
    }

    #[test]
    fn destinations_carry_the_region_except_for_global_services() {
        let d = |p, r, s| destination(p, r, s).unwrap();
        assert_eq!(
            d(Partition::Aws, "eu-west-1", None),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            d(Partition::Aws, "us-east-1", None),
            "https://console.aws.amazon.com/console/home?region=us-east-1"
        );
        assert_eq!(
            d(Partition::Aws, "eu-west-1", Some("s3")),
            "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            d(Partition::Aws, "eu-west-1", Some("IAM")),
            "https://console.aws.amazon.com/iam/home"
        );
        assert_eq!(
            d(Partition::Aws, "eu-west-1", Some("dynamodb")),
            "https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1"
        );
        assert_eq!(
            d(Partition::Aws, "eu-west-1", Some("athena")),
            "https://eu-west-1.console.aws.amazon.com/athena/home?region=eu-west-1"
        );
        assert_eq!(
            d(Partition::AwsCn, "cn-north-1", Some("ec2")),
            "https://console.amazonaws.cn/ec2/home?region=cn-north-1"
        );
        assert_eq!(
            d(Partition::AwsUsGov, "us-gov-east-1", None),
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-east-1"
        );
        assert_eq!(
            destination(Partition::Aws, "eu-west-1", Some("s3/../x"))
                .unwrap_err()
                .field,
            Field::Service
        );
    }
}
