//! End-to-end tests of the real `tempcreds-broker` binary: served on 127.0.0.1:0 against
//! moto (behind the project's federation fake), consumed by the real AWS CLI, driven by the
//! operator's own commands.

// A failed unwrap in a test is a failed test with its location: what we want here.
#![allow(clippy::unwrap_used)]

mod admin;
mod authz;
mod course;
mod fuzz;
mod harness;
mod oidc;
mod operator;
mod page;
mod replicas;
mod service;
mod vend;
