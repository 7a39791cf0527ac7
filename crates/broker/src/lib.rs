//! tempcreds-broker as a library: the multi-user service that vends per-learner temporary
//! credentials and console links (`serve`), and the operator's commands on its users
//! (`user add|grant|revoke|list`). Its state is generic over the store and STS seams, so the
//! service runs in-process in tests; `main.rs` is the thin binary. A learning platform
//! drives the same users through the admin API (`admin`). Exit codes as the CLI's:
//! 2 for input found wrong locally, 1 for AWS, database and network failures.

pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod cli_user;
pub mod config;
pub mod entry;
pub mod error;
pub mod guard;
pub mod limit;
pub mod metrics;
pub mod oidc;
pub mod revoke;
pub mod tls;
pub mod token;
pub mod vend;
pub mod window;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// A failure: the message, an optional hint, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl Failure {
    pub fn input(message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            message: message.into(),
            hint: hint.map(str::to_owned),
            code: 2,
        }
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            code: 1,
        }
    }
}

/// A server logs what it does (info); the operator's one-shot commands only warnings.
fn init_logging(verbose: u8, serving: bool) {
    let level = match (verbose, serving) {
        (0, false) => LevelFilter::WARN,
        (0, true) => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let filter = Targets::new()
        .with_target("tempcreds_broker", level)
        .with_target("tempcreds_core", level)
        .with_target("tempcreds_store", level);
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi)
                .with_filter(filter),
        )
        .init();
}

/// The binary: parse, log, run one command, and turn its failure into two lines and a code.
pub fn main_with_args() -> ExitCode {
    let args = cli::Args::parse();
    init_logging(args.verbose, matches!(args.command, cli::Command::Serve));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            if let Some(h) = f.hint {
                eprintln!("hint: {h}");
            }
            ExitCode::from(f.code)
        }
    }
}
