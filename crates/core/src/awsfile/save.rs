//! Writing `~/.aws` files safely: under an exclusive lock, to a 0600 temporary file in the
//! same directory, fsync, rename over the original, fsync the directory. Concurrent runs
//! therefore never lose each other's edits, and a crash leaves either the old or the new file.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::Error;

/// Reads one of the shared files, or returns None when it does not exist. A text no AWS
/// reader can read is refused (exit 2, nothing sent or written) for every command alike:
/// bytes that are not UTF-8 (the SDKs would silently read nothing), or a byte order mark
/// (botocore and the SDKs then find no section header on the first line and reject the file).
pub fn read_to_string_if_exists(path: &Path) -> Result<Option<String>, Error> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::file("read", path, e)),
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::refused(
            format!(
                "{} is not UTF-8 text (invalid byte 0x{:02x} at offset {at})",
                path.display(),
                e.as_bytes()[at],
            ),
            Some("save it as UTF-8 (the AWS CLI cannot read it either)".to_owned()),
        )
    })?;
    if text.starts_with('\u{feff}') {
        return Err(Error::refused(
            format!(
                "{} starts with a byte order mark (bytes 0-2), which the AWS CLI and SDKs cannot read",
                path.display()
            ),
            Some("save the file as UTF-8 without BOM, then run the command again".to_owned()),
        ));
    }
    Ok(Some(text))
}

/// Applies `edit` to the file's current text ("" when it does not exist) and saves the
/// result. `edit` runs under the lock, on what is on disk at that moment, so two runs
/// editing different sections both land. It may refuse (its error is returned and nothing
/// is written) or return None to leave the file as it is. Returns the path written (the
/// target of a symlink, which stays a symlink).
pub fn update_file(
    path: &Path,
    edit: impl FnOnce(&str) -> Result<Option<String>, Error>,
) -> Result<PathBuf, Error> {
    let (target, dir, lock) = lock_for(path)?;
    let current = read_to_string_if_exists(&target)?.unwrap_or_default();
    let Some(new) = edit(&current)? else {
        return Ok(target);
    };
    if new == current && target.exists() {
        return Ok(target);
    }
    write_atomically(&dir, &target, new.as_bytes())?;
    drop(lock);
    Ok(target)
}

/// Removes a file; one that is already gone is fine (forgetting is idempotent).
pub fn remove_file_if_exists(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::file("remove", path, e)),
        _ => Ok(()),
    }
}

/// Replaces a file's content (bytes, e.g. an encrypted cache entry) the same safe way:
/// private directory, lock, 0600 temporary file, fsync, rename.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    lock_dir_of(path)?.write(bytes)
}

/// The exclusive lock on a file's directory (see `lock_for`), held until dropped, for a
/// read-decide-write that must not interleave with another process's (the cache key).
#[derive(Debug)]
pub struct DirLock {
    target: PathBuf,
    dir: PathBuf,
    _lock: File,
}

impl DirLock {
    /// Replaces the locked file's content atomically (0600 temporary file, fsync, rename).
    pub fn write(&self, bytes: &[u8]) -> Result<PathBuf, Error> {
        write_atomically(&self.dir, &self.target, bytes)?;
        Ok(self.target.clone())
    }
}

/// Locks `path`'s directory (created 0700 if missing) for a later `DirLock::write`.
pub fn lock_dir_of(path: &Path) -> Result<DirLock, Error> {
    let (target, dir, lock) = lock_for(path)?;
    Ok(DirLock {
        target,
        dir,
        _lock: lock,
    })
}

/// Resolves a symlinked target, creates its directory (0700) if missing, and takes the
/// exclusive lock on that directory. The lock is released when the returned file drops.
fn lock_for(path: &Path) -> Result<(PathBuf, PathBuf, File), Error> {
    let target = resolve_symlink(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        // New directories are private: they will hold secrets (mode applies to each level).
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::file("create the directory", &dir, e))?;
    }
    // The lock is taken on the directory, not the file: the file is replaced by rename, so a
    // lock on its old inode would not exclude a run that opened the new one. Locking the
    // directory also leaves no lock file behind in ~/.aws.
    let lock = File::open(&dir).map_err(|e| Error::file("open the directory", &dir, e))?;
    lock.lock()
        .map_err(|e| Error::file("lock the directory", &dir, e))?;
    remove_stale_temporaries(&dir);
    Ok((target, dir, lock))
}

/// Removes the temporary files a killed writer left in `dir` (each a full copy of a file
/// that may hold secrets). Only a holder of the directory's lock writes there, so while we
/// hold it no temporary file of ours is in use. Best effort: a file we cannot remove now is
/// removed by a later writer.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_str().is_some_and(is_temporary_name) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `.NAME.tempcreds-PID-N.tmp`, as `write_atomically` names them.
fn is_temporary_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((_, ids)) = rest.rsplit_once(".tempcreds-") else {
        return false;
    };
    ids.split_once('-').is_some_and(|(pid, n)| {
        !pid.is_empty()
            && !n.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Follows a symlinked file (dotfile managers link ~/.aws/credentials) so that the rename
/// replaces the real file rather than the link.
fn resolve_symlink(path: &Path) -> Result<PathBuf, Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let link = fs::read_link(path).map_err(|e| Error::file("read the link", path, e))?;
            let base = path.parent().unwrap_or(Path::new("."));
            resolve_symlink(&base.join(link))
        }
        _ => Ok(path.to_path_buf()),
    }
}

fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), Error> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(
        ".{name}.tempcreds-{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, target)?;
        // Make the rename itself durable.
        File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::file("write", target, e)
    })
}
