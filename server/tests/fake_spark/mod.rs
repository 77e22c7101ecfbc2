//! Fake Sparks behind the real OpenSSH server.
//!
//! The simulated cluster ([`spark_sim`]) has an SSH server of its own (russh). A [`FakeSpark`]
//! puts OpenSSH's `sshd` in front of a simulated node instead, so the controller meets what a
//! real Spark runs: OpenSSH's key exchange, host key and public-key authentication, and its
//! remote shell, which splits the command line before any program sees it.
//!
//! Each fake node owns a directory with
//! - `ssh_host_ed25519_key` (from `ssh-keygen`), `authorized_keys` (the controller's key),
//!   `sshd_config` (loopback, `UsePAM no`, key login only) and one `sshd-N.log` per start;
//! - `bin/`, first on the session's `PATH` (`SetEnv`): a Python shim, `sim-exec`, and links to
//!   it named after the [`SHIMMED`] tools. The login shell runs the controller's line
//!   (`sh -c '<line>'`) and hands the shim an argv; the shim re-quotes it (`shlex.join`), posts
//!   it to the simulator's control API (`POST /nodes/{node}/exec`, which runs a line exactly as
//!   the simulator's own SSH server would), prints what came back and exits with its code.
//!   Everything else (`cat /proc/uptime`) is the host's own.
//!
//! Who logs in: as root, sshd switches to a throwaway account, [`THROWAWAY_USER`], created on
//! first use with no password (key login only). As anyone else, sshd runs unprivileged and can
//! only serve the current user, so that is the account the controller uses.
//!
//! A stopped node is really gone: sshd forks a process per connection that leaves the
//! listener's process group (`setsid`), so [`FakeSpark::stop`] ends the listener's whole process
//! tree by pid — open sessions die with it, as they do when a machine goes away.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The tools a fake node answers through the simulator; the controller uses no others except
/// `cat /proc/uptime`.
pub const SHIMMED: [&str; 5] = ["docker", "nvidia-smi", "free", "df", "uptime"];

/// The account sshd logs the controller in as when the tests run as root.
pub const THROWAWAY_USER: &str = "spark-fake";

/// sshd re-executes itself and insists on an absolute path.
const SSHD: &str = "/usr/sbin/sshd";
/// Debian's interpreter: the shim runs as the throwaway user, who cannot see a per-user Python.
const PYTHON: &str = "/usr/bin/python3";

const SHIM: &str = r#"#!/usr/bin/python3 -I
# A fake Spark's docker, nvidia-smi, free, df and uptime (written by the spark-control tests).
# The login shell has already split the controller's command line: re-quote this argv and let
# the simulated node run it, exactly as the simulator's own SSH server would.
import json, os, shlex, sys, urllib.request

EXEC_URL = "@EXEC_URL@"
line = shlex.join([os.path.basename(sys.argv[0])] + sys.argv[1:])
request = urllib.request.Request(
    EXEC_URL,
    data=json.dumps({"command": line}).encode(),
    headers={"Content-Type": "application/json"},
)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(request, timeout=60) as response:
        out = json.load(response)
except Exception as e:
    sys.stderr.write(f"fake-spark shim: no answer from the simulator at {EXEC_URL}: {e}\n")
    sys.exit(125)
sys.stdout.buffer.write(out["stdout"].encode())
sys.stderr.buffer.write(out["stderr"].encode())
sys.exit(out["code"])
"#;

/// Why fake Sparks cannot run on this machine; `None` when they can.
pub fn missing_tools() -> Option<String> {
    let mut missing = Vec::new();
    if !Path::new(SSHD).is_file() {
        missing.push(format!("{SSHD} (Debian: openssh-server)"));
    }
    if Command::new("ssh-keygen")
        .arg("-?")
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        missing.push("ssh-keygen (Debian: openssh-client)".to_string());
    }
    if !Path::new(PYTHON).is_file() {
        missing.push(format!("{PYTHON} (Debian: python3)"));
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// One simulated node reachable through a real `sshd` on a loopback port.
pub struct FakeSpark {
    pub name: String,
    pub port: u16,
    /// The account the controller logs in as.
    pub user: String,
    dir: tempfile::TempDir,
    sshd: Option<Child>,
    starts: u32,
}

impl FakeSpark {
    /// Starts sshd for simulated node `name`, whose simulator serves its control API on
    /// `control`; `authorized_key` is the controller's public key (`ssh-ed25519 AAAA…`).
    pub fn start(name: &str, control: SocketAddr, authorized_key: &str) -> Self {
        let user = login_user().to_string();
        let dir = tempfile::Builder::new()
            .prefix("fake-spark-")
            .tempdir()
            .unwrap();
        let path = dir.path();
        // The login user reads authorized_keys and runs the shim from here.
        set_mode(path, 0o755);
        let bin = path.join("bin");
        std::fs::create_dir(&bin).unwrap();
        set_mode(&bin, 0o755);
        let shim = bin.join("sim-exec");
        let url = format!("http://{control}/nodes/{name}/exec");
        std::fs::write(&shim, SHIM.replace("@EXEC_URL@", &url)).unwrap();
        set_mode(&shim, 0o755);
        for tool in SHIMMED {
            std::os::unix::fs::symlink("sim-exec", bin.join(tool)).unwrap();
        }
        std::fs::write(path.join("authorized_keys"), format!("{authorized_key}\n")).unwrap();
        set_mode(&path.join("authorized_keys"), 0o644);

        let mut spark = Self {
            name: name.to_string(),
            port: 0,
            user,
            dir,
            sshd: None,
            starts: 0,
        };
        spark.new_host_key();
        // A free port can be taken by another test between the probe that found it and sshd's
        // bind: then sshd exits at once, and another port is tried.
        for _ in 0..5 {
            spark.port = spark_sim::endpoint::free_port(Ipv4Addr::LOCALHOST).unwrap();
            spark.write_config();
            match spark.spawn() {
                Ok(()) => return spark,
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => panic!("sshd for {name} exited: {log}"),
            }
        }
        panic!("sshd for {name}: every port tried was taken before sshd could bind it");
    }

    /// Writes sshd's configuration for the current port.
    fn write_config(&self) {
        let path = self.dir.path();
        let (port, user) = (self.port, &self.user);
        let config = format!(
            "ListenAddress 127.0.0.1\n\
             Port {port}\n\
             HostKey {dir}/ssh_host_ed25519_key\n\
             PidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\n\
             AllowUsers {user}\n\
             UsePAM no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             StrictModes no\n\
             SetEnv PATH={dir}/bin:/usr/bin:/bin\n\
             MaxSessions 64\n",
            dir = path.display()
        );
        std::fs::write(path.join("sshd_config"), config).unwrap();
    }

    /// The host key sshd offers, `ssh-ed25519 AAAA…` (what a cluster file pins).
    pub fn host_key(&self) -> String {
        let text =
            std::fs::read_to_string(self.dir.path().join("ssh_host_ed25519_key.pub")).unwrap();
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What the running (or last) sshd logged: connections, authentications, refusals.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Takes the node off the network: the port refuses and open sessions are cut.
    pub fn stop(&mut self) {
        let Some(mut sshd) = self.sshd.take() else {
            return;
        };
        let tree = descendants(sshd.id());
        if !tree.is_empty() {
            // Leaves first, so parents still alive can reap them.
            let pids: Vec<String> = tree.iter().rev().map(u32::to_string).collect();
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(&pids)
                .stderr(Stdio::null())
                .status();
        }
        let _ = sshd.kill();
        let _ = sshd.wait();
    }

    /// Starts sshd again on the same port; with `new_host_key`, as a reinstalled machine (or a
    /// man in the middle) would present itself.
    pub fn restart(&mut self, new_host_key: bool) {
        self.stop();
        if new_host_key {
            self.new_host_key();
        }
        if let Err(log) = self.spawn() {
            panic!("sshd for {} exited on restart: {log}", self.name);
        }
    }

    fn new_host_key(&self) {
        let key = self.dir.path().join("ssh_host_ed25519_key");
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(key.with_extension("pub"));
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", &self.name, "-f"])
            .arg(&key)
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "ssh-keygen failed: {status}");
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("sshd-{}.log", self.starts))
    }

    /// Starts sshd and waits until it listens; `Err` holds its log when it exits first.
    fn spawn(&mut self) -> Result<(), String> {
        self.starts += 1;
        let log = self.log_path();
        let mut sshd = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(self.dir.path().join("sshd_config"))
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        // Wait for its own word rather than probing the port (a probe is a stray connection).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains("Server listening on") {
            if let Some(status) = sshd.try_wait().unwrap() {
                return Err(format!("({status}) {}", self.log()));
            }
            assert!(
                Instant::now() < deadline,
                "sshd for {} did not start listening: {}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.sshd = Some(sshd);
        Ok(())
    }
}

impl Drop for FakeSpark {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The account the controller logs in as (see the module docs).
fn login_user() -> &'static str {
    static USER: OnceLock<String> = OnceLock::new();
    USER.get_or_init(|| {
        if output(Command::new("id").arg("-u")) != "0" {
            return output(Command::new("id").arg("-un"));
        }
        // sshd as root needs its privilege-separation directory (a container may lack it).
        std::fs::create_dir_all("/run/sshd").unwrap();
        if !user_exists(THROWAWAY_USER) {
            // No password ('*' rather than a locked '!': a locked account may not log in even
            // with a key); the home only spares sshd a "could not chdir" on every command.
            let created = Command::new("useradd")
                .args(["--create-home", "--shell", "/bin/sh", "--password", "*"])
                .arg(THROWAWAY_USER)
                .status()
                .unwrap();
            // Another test process may have created it meanwhile.
            assert!(
                created.success() || user_exists(THROWAWAY_USER),
                "useradd {THROWAWAY_USER} failed: {created}"
            );
        }
        THROWAWAY_USER.to_string()
    })
}

fn user_exists(name: &str) -> bool {
    Command::new("getent")
        .args(["passwd", name])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn output(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(out.status.success(), "{command:?} failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every process below `root`, parents before children (from `/proc/<pid>/stat`).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    tree.remove(0);
    tree
}
