//! What a person sees on stderr: error and hint lines, notices, colour only on a terminal
//! without `NO_COLOR`, a spinner for waits over a second, and the MFA prompt on `/dev/tty`.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::time::Duration;

use tempcreds_core::Error;
use tempcreds_core::rules::{self, Field, Invalid};

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn paint(code: &str, text: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// A field as this command line names it: its flag.
pub(crate) fn flag(field: &Field) -> &str {
    match field {
        Field::RoleArn => "--role-arn",
        Field::SessionName => "--session-name",
        Field::Duration => "--duration",
        Field::ExternalId => "--external-id",
        Field::MfaSerial => "--mfa-serial",
        Field::MfaCode => "--mfa-code",
        Field::Policy => "--policy",
        Field::PolicyFile => "--policy-file",
        Field::PolicyArn => "--policy-arn",
        Field::Tag => "--tag",
        Field::TransitiveTag => "--transitive-tag",
        Field::SourceIdentity => "--source-identity",
        Field::Region => "--region",
        Field::SourceProfile => "--source-profile",
        Field::Profile => "--profile",
        Field::FederatedUser => "--federated-user",
        Field::Issuer => "--issuer",
        Field::Service => "--service",
        Field::Destination => "--destination",
        Field::Named(name) => name,
    }
}

/// The error's message as the CLI says it: fields named by their flags.
fn message(e: &Error) -> String {
    match e {
        Error::Invalid(i) => format!("{}: {}", flag(&i.field), i.rule),
        other => other.to_string(),
    }
}

/// Folded to one line of at most `max` characters, whatever the text came from.
fn one_line(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(max - 1) {
        Some((i, _)) => format!("{}…", &folded[..i]),
        None => folded,
    }
}

/// `error: …` and, where useful, `hint: …`: one line each, at most 200 characters.
pub(crate) fn error(e: &Error) {
    // 200 characters a line, the prefix included.
    eprintln!("{} {}", paint("1;31", "error:"), one_line(&message(e), 193));
    if let Some(h) = e.hint() {
        eprintln!("{} {}", paint("1;36", "hint:"), one_line(h, 194));
    }
}

/// A usage error from clap, folded to the same one-line form.
pub(crate) fn usage_error(rendered: &str) {
    // clap's message may continue on indented lines (the list of missing arguments); they
    // are folded into the one line, and its "tip:" becomes the hint.
    let mut message = Vec::new();
    let mut tip = None;
    for line in rendered.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if let Some(t) = line.strip_prefix("tip:") {
            tip = Some(t.trim().to_owned());
        } else if !line.is_empty() {
            message.push(
                line.strip_prefix("error:")
                    .unwrap_or(line)
                    .trim()
                    .to_owned(),
            );
        }
    }
    let message = message.join(" ");
    eprintln!("{} {message}", paint("1;31", "error:"));
    let hint = tip.unwrap_or_else(|| "see 'tempcreds --help'".to_owned());
    eprintln!("{} {hint}", paint("1;36", "hint:"));
}

/// A confirmation or warning line, unless --quiet.
pub(crate) fn notice(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("{} {text}", paint("1;32", "tempcreds:"));
    }
}

pub(crate) fn warn(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("{} {text}", paint("1;33", "warning:"));
    }
}

/// Runs `fut`, drawing a spinner with `message` on stderr if it takes more than a second
/// and stderr is a terminal.
pub(crate) async fn with_spinner<T>(quiet: bool, message: &str, fut: impl Future<Output = T>) -> T {
    if quiet || !std::io::stderr().is_terminal() {
        return fut.await;
    }
    let drew = std::cell::Cell::new(false);
    let spin = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        drew.set(true);
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        for frame in frames.iter().cycle() {
            eprint!("\r{frame} {message}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::pin!(fut);
    let out = tokio::select! {
        out = &mut fut => out,
        () = spin => unreachable!("the spinner never ends"),
    };
    if drew.get() {
        eprint!("\r\x1b[2K");
    }
    out
}

/// Asks for the MFA code on the terminal (not stdin/stdout, which may be captured, as under
/// `credential_process` or `$(…)`). Three tries for a well-formed code.
pub(crate) fn prompt_mfa_code(serial: &str) -> Result<String, Error> {
    prompt_mfa_code_or(serial, || {
        Invalid::new(
            "--mfa-code",
            "is needed: there is no terminal to ask for the MFA code on (a profile can also name an mfa_process)",
        )
        .into()
    })
}

/// As `prompt_mfa_code`, with the caller's words for "there is no terminal" (what would
/// help differs: a flag for a command, mfa_process for a renewal).
pub(crate) fn prompt_mfa_code_or(
    serial: &str,
    no_terminal: impl Fn() -> Error,
) -> Result<String, Error> {
    let no_tty = |_| no_terminal();
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(no_tty)?;
    let mut out = tty.try_clone().map_err(no_tty)?;
    let mut input = BufReader::new(tty);
    for _ in 0..3 {
        write!(out, "MFA code for {serial}: ").map_err(no_tty)?;
        out.flush().map_err(no_tty)?;
        let mut line = String::new();
        if input.read_line(&mut line).map_err(no_tty)? == 0 {
            break;
        }
        let code = line.trim();
        match rules::mfa_code("--mfa-code", code) {
            Ok(()) => return Ok(code.to_owned()),
            Err(_) => writeln!(out, "an MFA code is 6 digits").map_err(no_tty)?,
        }
    }
    Err(Invalid::new(
        "--mfa-code",
        "must be exactly 6 digits (no valid code was entered)",
    )
    .into())
}

/// Writes `text` to the terminal itself (`/dev/tty`), not to stdout, which may be captured;
/// the QR code of a new MFA device goes there. Without a terminal nothing is shown (the
/// prompt that follows then fails with its own message).
pub(crate) fn show_on_terminal(text: &str) -> Result<(), Error> {
    if let Ok(mut tty) = OpenOptions::new().write(true).open("/dev/tty") {
        let _ = tty.write_all(text.as_bytes());
        let _ = tty.flush();
    }
    Ok(())
}

/// Reads one line from the terminal with its echo off (a secret key, a passphrase): `/dev/tty`
/// as for the MFA code, so that stdin and stdout stay free. None when there is no terminal.
pub(crate) fn read_hidden(prompt: &str) -> Option<Result<secrecy::SecretString, Error>> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let (tty, failed) = terminal()?;
    let run = || -> Result<secrecy::SecretString, Error> {
        let mut out = tty.try_clone().map_err(&failed)?;
        // Echo goes off before the prompt shows: what is typed once it is seen stays hidden.
        let saved = tcgetattr(&tty).map_err(|e| failed(e.into()))?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&tty, OptionalActions::Now, &quiet).map_err(|e| failed(e.into()))?;
        let mut line = zeroize::Zeroizing::new(String::new());
        let read = write!(out, "{prompt}")
            .and_then(|()| out.flush())
            .and_then(|()| BufReader::new(&tty).read_line(&mut line));
        // Echo back on before anything else can fail.
        let restored = tcsetattr(&tty, OptionalActions::Now, &saved);
        let _ = writeln!(out);
        read.map_err(&failed)?;
        restored.map_err(|e| failed(e.into()))?;
        Ok(secrecy::SecretString::from(
            line.trim_end_matches(['\r', '\n']),
        ))
    };
    Some(run())
}

/// The file store's passphrase: `TEMPCREDS_KEY_STORE_PASSPHRASE` (for CI), else asked on
/// the terminal, twice when the store is being created.
pub(crate) struct StorePassphrase;

impl tempcreds_core::keys::Passphrase for StorePassphrase {
    fn passphrase(
        &self,
        path: &std::path::Path,
        creating: bool,
    ) -> Result<secrecy::SecretString, Error> {
        use secrecy::ExposeSecret;
        if let Ok(p) = std::env::var("TEMPCREDS_KEY_STORE_PASSPHRASE") {
            return Ok(secrecy::SecretString::from(p));
        }
        let no_terminal = || {
            Error::refused(
                format!(
                    "the key store {} needs its passphrase, and there is no terminal to ask on",
                    path.display()
                ),
                Some(
                    "set TEMPCREDS_KEY_STORE_PASSPHRASE, or run the command in a terminal"
                        .to_owned(),
                ),
            )
        };
        let verb = if creating {
            "new passphrase for"
        } else {
            "passphrase of"
        };
        let first = read_hidden(&format!("{verb} the key store {}: ", path.display()))
            .ok_or_else(no_terminal)??;
        if creating {
            let again = read_hidden("the same passphrase again: ").ok_or_else(no_terminal)??;
            if again.expose_secret() != first.expose_secret() {
                return Err(Error::refused(
                    "the two passphrases differ: the key store was not created",
                    Some("run the command again and type the same passphrase twice".to_owned()),
                ));
            }
        }
        Ok(first)
    }
}

/// Reads one line from the terminal, echoed (a key id). None when there is no terminal.
pub(crate) fn read_line(prompt: &str) -> Option<Result<String, Error>> {
    let (tty, failed) = terminal()?;
    let run = || -> Result<String, Error> {
        let mut out = tty.try_clone().map_err(&failed)?;
        write!(out, "{prompt}")
            .and_then(|()| out.flush())
            .map_err(&failed)?;
        let mut line = String::new();
        BufReader::new(&tty).read_line(&mut line).map_err(&failed)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    Some(run())
}

/// The terminal (`/dev/tty`), and how its read errors are reported; None without one.
fn terminal() -> Option<(std::fs::File, impl Fn(std::io::Error) -> Error)> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    Some((tty, |e: std::io::Error| {
        Error::file("read from", std::path::Path::new("/dev/tty"), e)
    }))
}
