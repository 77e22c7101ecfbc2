//! One controller per data directory.
//!
//! Two controllers started on one `DATA_DIR` would both believe they own the cluster. Each
//! allows one swap at a time — its own — so two swaps could stop and start vLLM on the same
//! Spark at once; and the second, at start, would take the first one's running swap for one
//! cut off by a restart, report it interrupted and reconcile the node under it. So the server
//! takes an exclusive OS lock on `$DATA_DIR/spark-control.lock` before it touches anything and
//! holds it for as long as it runs. The kernel drops the lock when the process ends, however
//! it ends, so a crash or `kill -9` leaves nothing to clean up; the file itself stays, holding
//! the pid of the last holder, which the refusal names.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "spark-control.lock";

/// Held for the life of the process: dropping it releases the data directory.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Why the data directory could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error(
        "another spark-control ({holder}) is running on the data directory {dir}: stop it \
         first, or give this one its own DATA_DIR"
    )]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock the data directory {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InstanceLock {
    /// Claims `data_dir` (created when missing) for this process, or says who holds it.
    pub fn acquire(data_dir: &Path) -> Result<InstanceLock, InstanceError> {
        let io = |source| InstanceError::Io {
            dir: data_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(InstanceError::Held {
                    dir: data_dir.to_path_buf(),
                    holder: holder(&mut file),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // the pid is only for the message of a refused second start
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(InstanceLock { _file: file })
    }
}

/// "pid N" from the lock file, or a plain description when it holds no pid.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let pid = file
        .read_to_string(&mut text)
        .ok()
        .and_then(|_| text.trim().parse::<u32>().ok());
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "another process".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_is_refused_with_the_holders_pid_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = InstanceLock::acquire(&data).unwrap();
        let refused = InstanceLock::acquire(&data).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains(&data.display().to_string()), "{message}");
        drop(first);
        let again = InstanceLock::acquire(&data);
        assert!(again.is_ok(), "{again:?}");
    }

    #[test]
    fn separate_data_directories_do_not_interfere() {
        let dir = tempfile::tempdir().unwrap();
        let _a = InstanceLock::acquire(&dir.path().join("a")).unwrap();
        let b = InstanceLock::acquire(&dir.path().join("b"));
        assert!(b.is_ok(), "{b:?}");
    }
}
