//! The STS seam as the engine sees it: a client for a caller, made either from credentials
//! in hand or from a source only the SDK resolves. `SdkConnect` makes SDK clients;
//! `Prebuilt` hands out one long-lived client (the broker's, which refreshes its own
//! credentials); the tests' fake counts every call. Each also names the IAM Identity
//! Center clients an SSO source is read with.

use std::future::Future;
use std::sync::Arc;

use super::chain::SdkSource;
use crate::sso::{SdkSsoConnect, SsoConnect};
use crate::sts::{SdkSts, Sts};
use crate::{Credentials, Error};

/// Who a client calls STS as.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    Credentials(&'a Credentials),
    Sdk(&'a SdkSource),
}

/// Makes STS clients (the engine asks for one per step), and IAM Identity Center's for an
/// SSO source.
pub trait Connect {
    type Client: Sts;
    type Sso: SsoConnect;

    fn connect(
        &self,
        region: &str,
        caller: Caller<'_>,
    ) -> impl Future<Output = Result<Self::Client, Error>>;

    fn sso(&self) -> &Self::Sso;
}

/// Clients on the official SDK, each resolving its caller now.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdkConnect;

impl Connect for SdkConnect {
    type Client = SdkSts;
    type Sso = SdkSsoConnect;

    fn sso(&self) -> &SdkSsoConnect {
        &SdkSsoConnect
    }

    async fn connect(&self, region: &str, caller: Caller<'_>) -> Result<SdkSts, Error> {
        match caller {
            Caller::Credentials(c) => SdkSts::with_credentials(region, c).await,
            Caller::Sdk(s) => SdkSts::from_source(region, s).await,
        }
    }
}

/// One client made beforehand for the SDK source, shared by every run (the broker's).
#[derive(Debug)]
pub struct Prebuilt<S>(pub Arc<S>);

impl<S: Sts + Send + Sync> Connect for Prebuilt<S> {
    type Client = Arc<S>;
    // The broker's roles come from its own credentials, never from a person's sign-in.
    type Sso = SdkSsoConnect;

    fn sso(&self) -> &SdkSsoConnect {
        &SdkSsoConnect
    }

    async fn connect(&self, _region: &str, caller: Caller<'_>) -> Result<Arc<S>, Error> {
        match caller {
            Caller::Sdk(_) => Ok(Arc::clone(&self.0)),
            Caller::Credentials(_) => Err(Error::refused(
                "this chain needs a second STS client, and only the service's own is available",
                None,
            )),
        }
    }
}
