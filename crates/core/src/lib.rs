//! tempcreds-core: everything about temporary AWS credentials that is not a command line or
//! a server — the validation rules, the STS seam, `~/.aws` files, and output formats.

pub mod awsfile;
pub mod cache;
pub mod console;
pub mod credentials;
pub mod engine;
pub mod env;
mod error;
pub mod keys;
pub mod output;
pub mod plan;
pub mod profile;
pub mod provision;
pub mod region;
pub mod rules;
pub mod sso;
pub mod sts;

pub use credentials::{Credentials, Origin};
pub use env::Env;
pub use error::Error;
