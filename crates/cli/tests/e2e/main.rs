//! End-to-end tests of the real `tempcreds` binary against moto, with the real AWS CLI,
//! boto3 and shells as consumers. One test binary, as in ripgrep.

// A failed unwrap in a test is a failed test with its location: what we want here.
#![allow(clippy::unwrap_used)]

mod console;
mod console_rules;
mod container;
mod engine;
mod errors;
mod exec_server;
mod ini_oracle;
mod keys;
mod keys_rotate;
mod keys_secret_service;
mod keys_sources;
mod keys_terminal;
mod killed;
mod outputs;
mod profiles;
mod server;
mod server_mfa;
mod sessions;
mod setup;
mod setup_mfa;
mod setup_rules;
mod sso;
mod sso_login;
mod sso_populate;
mod support;
mod validation;
mod write;
mod write_dialect;
