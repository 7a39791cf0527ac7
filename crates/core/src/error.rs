//! The one error type of the library, and the exit code each kind maps to: 2 for input
//! found wrong locally, 1 for AWS, network and file-system failures (ARCHITECTURE.md).

use std::io;
use std::path::{Path, PathBuf};

use crate::rules::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input breaks an AWS rule. Nothing was sent, nothing written.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The input is well-formed but the tool refuses it here (it would lose data or cannot
    /// work). Nothing was sent, nothing written.
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
    /// AWS answered with an error.
    #[error("{service} {operation} failed: {code}: {message}")]
    Aws {
        service: &'static str,
        operation: &'static str,
        code: String,
        message: String,
        hint: Option<String>,
    },
    /// No answer from AWS: connection, timeout, TLS, or no credentials to sign with.
    #[error("{message}")]
    Transport {
        message: String,
        hint: Option<String>,
    },
    /// No usable IAM Identity Center sign-in: none cached, or it expired and could not be
    /// refreshed. The hint names the login command.
    #[error("{message}")]
    SignIn {
        message: String,
        hint: Option<String>,
    },
    /// Reading or writing a local file failed.
    #[error("could not {action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl Error {
    pub fn refused(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Refused {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn file(action: &'static str, path: &Path, source: io::Error) -> Self {
        Error::File {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_) | Error::Refused { .. } => 2,
            Error::Aws { .. }
            | Error::Transport { .. }
            | Error::SignIn { .. }
            | Error::File { .. } => 1,
        }
    }

    /// A one-line suggestion of what to do, where there is a useful one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Refused { hint, .. }
            | Error::Aws { hint, .. }
            | Error::Transport { hint, .. }
            | Error::SignIn { hint, .. } => hint.as_deref(),
            Error::File { source, .. } if source.kind() == io::ErrorKind::PermissionDenied => Some(
                "check the file's owner and permissions, or point AWS_SHARED_CREDENTIALS_FILE elsewhere",
            ),
            Error::Invalid(_) | Error::File { .. } => None,
        }
    }
}
