//! The real binary, started twice on one data directory: the second start is refused with a
//! message naming the first, and a killed controller leaves the directory free for the next.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(60);

/// A port for a controller about to start: the child binds it a while later, so it comes from
/// below the ephemeral range (see `spark_sim::endpoint::free_port`).
fn free_port() -> u16 {
    spark_sim::endpoint::free_port(std::net::Ipv4Addr::LOCALHOST).unwrap()
}

fn controller(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spark-control"));
    cmd.env("DATA_DIR", data_dir)
        .env("BIND_ADDR", "127.0.0.1")
        .env("BIND_PORT", free_port().to_string())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// A running controller, killed (SIGKILL) when dropped, so a failing test leaves none behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a controller on `data_dir` and waits until it holds the directory.
fn start(data_dir: &Path) -> Running {
    let mut running = Running(controller(data_dir).spawn().unwrap());
    wait_until_holding(&mut running.0, data_dir);
    running
}

/// Waits until the lock file names `child`: it holds the data directory.
fn wait_until_holding(child: &mut Child, data_dir: &Path) {
    let lock = data_dir.join(server::instance::LOCK_FILE);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let named = std::fs::read_to_string(&lock).unwrap_or_default();
        if named.trim() == child.id().to_string() {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the controller ended before taking the data directory: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the lock file never named the controller"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a command that should end by itself, killing it after [`PATIENCE`]; its stderr is
/// kept.
fn run_to_end(mut cmd: Command) -> Output {
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the second controller did not give up");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_second_controller_on_the_same_data_dir_is_refused_and_a_killed_one_frees_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let first = start(data);

    let second = run_to_end(controller(data));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("another spark-control (pid {})", first.0.id())),
        "{stderr}"
    );
    assert!(stderr.contains("DATA_DIR"), "{stderr}");

    // another data directory is another controller's business
    let other = tempfile::tempdir().unwrap();
    drop(start(other.path()));

    // killed (SIGKILL, so the process cleans nothing up): the kernel releases the lock
    drop(first);
    drop(start(data));
}
