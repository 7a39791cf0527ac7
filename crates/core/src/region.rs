//! The one place that decides which region STS is called in: `--region` (the caller's
//! flag), then `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the first `region` along the
//! profile chain, else the partition's default (used to call STS only: `env` does not
//! export it). A region from another partition than the chain's roles is refused.

use crate::engine::ProfileRegion;
use crate::env::Env;
use crate::rules::{self, Field, Invalid, Partition, partition_of_region};

/// Where the region came from: for `-v`, for errors, and for whether `env` exports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
    /// Given by the caller (the CLI's `--region`).
    Given,
    Env(&'static str),
    Profile(String),
    /// Not configured: the partition's default region is used to call STS only.
    PartitionDefault,
}

/// A checked region and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRegion {
    pub name: String,
    pub source: RegionSource,
}

impl ResolvedRegion {
    /// The region when the user configured one (exported by `env`).
    pub fn known(&self) -> Option<&str> {
        (self.source != RegionSource::PartitionDefault).then_some(self.name.as_str())
    }
}

/// What names the region in an error: `given_as` for the caller's own input.
fn field(source: &RegionSource, given_as: &Field) -> Field {
    match source {
        RegionSource::Given | RegionSource::PartitionDefault => given_as.clone(),
        RegionSource::Env(v) => Field::Named((*v).to_owned()),
        RegionSource::Profile(p) => Field::Named(format!("region (profile {p})")),
    }
}

/// Resolves and checks the region. `given` is the caller's own (`given_as` names it in
/// errors: `Field::Region` for a flag); `partition` is the chain's, if it has roles.
pub fn resolve(
    given: Option<&str>,
    given_as: Field,
    env: &Env,
    profile: Option<&ProfileRegion>,
    partition: Option<Partition>,
) -> Result<ResolvedRegion, Invalid> {
    let candidates = [
        given.map(|r| (r, RegionSource::Given)),
        env.get("AWS_REGION")
            .map(|r| (r, RegionSource::Env("AWS_REGION"))),
        env.get("AWS_DEFAULT_REGION")
            .map(|r| (r, RegionSource::Env("AWS_DEFAULT_REGION"))),
        profile.map(|p| (p.region.as_str(), RegionSource::Profile(p.profile.clone()))),
    ];
    let Some((name, source)) = candidates.into_iter().flatten().next() else {
        let p = partition.unwrap_or(Partition::Aws);
        return Ok(ResolvedRegion {
            name: p.default_region().to_owned(),
            source: RegionSource::PartitionDefault,
        });
    };
    let f = field(&source, &given_as);
    rules::region(&f, name)?;
    if let Some(want) = partition {
        let got = partition_of_region(name);
        if got != want {
            return Err(Invalid::new(
                &f,
                format!(
                    "region {name} is in partition {got}, but the role is in partition {want}: use a {want} region"
                ),
            ));
        }
    }
    Ok(ResolvedRegion {
        name: name.to_owned(),
        source,
    })
}
