//! The `tempcreds` binary: parse arguments, set up logging on stderr, run one subcommand on
//! a single-threaded runtime, and turn its error into one line and an exit code.

mod args;
mod assume;
mod common;
mod console;
mod fresh_code;
mod inspect;
mod keys;
mod profiles;
mod rotate;
mod run;
mod server;
mod setup;
mod setup_store;
mod sso;
mod sso_callback;
mod sso_populate;
mod ui;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use crate::args::{Cli, Command, KeysCommand, SsoCommand};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match profiles::cached_credential_process(&args) {
        Some(Ok(())) => return ExitCode::SUCCESS,
        Some(Err(e)) => {
            ui::error(&e);
            return ExitCode::from(e.exit_code());
        }
        None => {}
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(if e.use_stderr() { 2 } else { 0 })
                }
                _ => {
                    ui::usage_error(&e.render().to_string());
                    ExitCode::from(2)
                }
            };
        }
    };
    init_logging(cli.global.verbose, cli.global.quiet);
    let quiet = cli.global.quiet;

    let result = match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "tempcreds",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Manpages { dir } => manpages(dir),
        Command::Assume(a) => runtime().block_on(assume::run(a, quiet)),
        Command::Console(c) => runtime().block_on(console::run(c, quiet)),
        Command::Session(a) => runtime().block_on(profiles::session(a, quiet)),
        Command::Setup(a) => runtime().block_on(setup::setup(a, quiet)),
        Command::Teardown(a) => runtime().block_on(setup::teardown(a, quiet)),
        Command::Env(a) => runtime().block_on(profiles::env(a, quiet)),
        Command::Exec(a) if a.server => {
            return match server_runtime().and_then(|rt| rt.block_on(server::exec(a, quiet))) {
                Ok(code) => code,
                Err(e) => {
                    ui::error(&e);
                    ExitCode::from(e.exit_code())
                }
            };
        }
        Command::Exec(a) => profiles::exec(a, quiet),
        Command::CredentialProcess(a) => profiles::credential_process(a, quiet),
        Command::Serve(a) => server_runtime().and_then(|rt| rt.block_on(server::serve(a, quiet))),
        Command::Sso(SsoCommand::Login(a)) => runtime().block_on(sso::login(a, quiet)),
        Command::Sso(SsoCommand::Logout(a)) => runtime().block_on(sso::logout(a, quiet)),
        Command::Sso(SsoCommand::Populate(a)) => {
            runtime().block_on(sso_populate::populate(a, quiet))
        }
        Command::Keys(KeysCommand::Add(a)) => keys::add(a, quiet),
        Command::Keys(KeysCommand::List) => keys::list(quiet),
        Command::Keys(KeysCommand::Remove(a)) => keys::remove(a, quiet),
        Command::Keys(KeysCommand::Rotate(a)) => runtime().block_on(rotate::rotate(a, quiet)),
        Command::Whoami(a) => runtime().block_on(inspect::whoami(a, quiet)),
        Command::List => inspect::list(),
        Command::Clear { profile } => inspect::clear(profile.as_deref(), quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ui::error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// The man pages, generated from the clap definitions (so they say what --help says); the
/// copies in the repository's man/ are checked against them by scripts/test.
fn manpages(dir: &std::path::Path) -> Result<(), tempcreds_core::Error> {
    let failed = |e| tempcreds_core::Error::file("write the man pages to", dir, e);
    std::fs::create_dir_all(dir).map_err(failed)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(failed)
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    // One thread: a CLI run makes one or two calls, and a multi-threaded runtime's start-up
    // costs more than the calls' concurrency would win.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the async runtime: {e}"))
}

/// The endpoint's runtime: requests are served while a renewal (and its MFA prompt) runs
/// on another thread.
fn server_runtime() -> Result<tokio::runtime::Runtime, tempcreds_core::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| tempcreds_core::Error::Transport {
            message: format!("cannot start the async runtime: {e}"),
            hint: None,
        })
}

/// Logs go to stderr, for tempcreds' own crates only: the SDK's internal debug output can
/// include request bodies, and nothing here may ever print a secret.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let filter = Targets::new()
        .with_target("tempcreds", level)
        .with_target("tempcreds_core", level);
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time()
        .with_target(false);
    tracing_subscriber::registry().with(fmt).with(filter).init();
}
