//! The controller's SSH client against a simulated node's real SSH server: key auth, host-key
//! pinning, quoting, reconnection.

use std::net::SocketAddrV4;
use std::time::Duration;

use server::ssh::host_keys::HostKeyPolicy;
use server::ssh::keys::ControllerKey;
use server::ssh::{SshClient, SshError, SshTarget};
use spark_sim::{Fault, SimCluster, SimOptions};

const T: Duration = Duration::from_secs(5);

async fn cluster(key: &ControllerKey) -> SimCluster {
    SimCluster::start(SimOptions::two_sparks(key.public()))
        .await
        .unwrap()
}

fn client(
    key: &ControllerKey,
    sim: &SimCluster,
    node: usize,
    host_keys: HostKeyPolicy,
) -> SshClient {
    let info = &sim.describe()[node];
    let target = SshTarget {
        addr: SocketAddrV4::new(info.ip, info.ssh_port),
        user: info.user.clone(),
        host_keys,
    };
    SshClient::new(target, key.private.clone(), Duration::from_secs(2))
}

fn controller_key(dir: &tempfile::TempDir) -> ControllerKey {
    ControllerKey::load_or_create(&dir.path().join("id_ed25519"), true).unwrap()
}

#[tokio::test]
async fn commands_round_trip_over_one_reused_connection() {
    let dir = tempfile::tempdir().unwrap();
    let key = controller_key(&dir);
    let sim = cluster(&key).await;
    let ssh = client(
        &key,
        &sim,
        0,
        HostKeyPolicy::KnownHosts(dir.path().join("known_hosts")),
    );

    let ps = ssh
        .exec(&["docker", "ps", "--format", "{{.Names}} {{.State}}"], T)
        .await
        .unwrap();
    assert!(ps.success());
    assert_eq!(ps.stdout, "vllm running\n");

    // A hostile value arrives as one argument: quoted, it cannot become a second command.
    let echoed = ssh
        .exec(&["echo", "x; docker rm -f vllm", "$(id)"], T)
        .await
        .unwrap();
    assert_eq!(echoed.stdout, "x; docker rm -f vllm $(id)\n");
    let missing = ssh
        .exec(&["docker", "logs", "no-such; reboot"], T)
        .await
        .unwrap();
    assert_eq!(missing.code, Some(1));
    assert!(
        missing
            .stderr
            .contains("No such container: no-such; reboot"),
        "{}",
        missing.stderr
    );

    // Many concurrent commands share the connection.
    let runs = futures::future::join_all((0..8).map(|_| {
        ssh.exec(
            &["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            T,
        )
    }))
    .await;
    assert!(runs
        .iter()
        .all(|r| r.as_ref().is_ok_and(|o| o.stdout == "NVIDIA GB10\n")));

    let known = std::fs::read_to_string(dir.path().join("known_hosts")).unwrap();
    assert_eq!(
        known.lines().filter(|l| !l.is_empty()).count(),
        1,
        "first contact pinned once: {known}"
    );
}

#[tokio::test]
async fn a_changed_host_key_is_refused_not_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let key = controller_key(&dir);
    let known_hosts = dir.path().join("known_hosts");
    let first = cluster(&key).await;
    let ssh = client(
        &key,
        &first,
        0,
        HostKeyPolicy::KnownHosts(known_hosts.clone()),
    );
    ssh.exec(&["true"], T).await.unwrap();
    let port = first.describe()[0].ssh_port;
    drop(ssh);

    // Another server (new host key) on the same address: what a man in the middle looks like.
    let impostor = cluster(&key).await;
    let impostor_port = impostor.describe()[0].ssh_port;
    let text = std::fs::read_to_string(&known_hosts)
        .unwrap()
        .replace(&format!("]:{port} "), &format!("]:{impostor_port} "));
    std::fs::write(&known_hosts, text).unwrap();
    let ssh = client(&key, &impostor, 0, HostKeyPolicy::KnownHosts(known_hosts));
    let err = ssh.exec(&["true"], T).await.unwrap_err();
    assert!(matches!(err, SshError::HostKey(_)), "{err}");
    assert!(err.to_string().contains("CHANGED"), "{err}");
}

#[tokio::test]
async fn wrong_key_and_dead_node_fail_with_clear_errors_then_recover() {
    let dir = tempfile::tempdir().unwrap();
    let key = controller_key(&dir);
    let sim = cluster(&key).await;
    let info = sim.describe()[1].clone();
    let pinned =
        HostKeyPolicy::Pinned(russh::keys::PublicKey::from_openssh(&info.host_key).unwrap());

    let stranger = ControllerKey::load_or_create(&dir.path().join("other"), true).unwrap();
    let err = client(&stranger, &sim, 1, pinned.clone())
        .exec(&["true"], T)
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::AuthRejected { .. }), "{err}");

    let ssh = client(&key, &sim, 1, pinned);
    assert!(ssh.exec(&["true"], T).await.unwrap().success());
    sim.set_fault(
        "spark-2",
        "ssh",
        Fault {
            down: true,
            ..Fault::default()
        },
    )
    .await
    .unwrap();
    let err = ssh.exec(&["true"], T).await.unwrap_err();
    assert!(
        matches!(err, SshError::Unreachable { .. } | SshError::Session { .. }),
        "{err}"
    );
    sim.set_fault("spark-2", "ssh", Fault::default())
        .await
        .unwrap();
    assert!(
        ssh.exec(&["true"], T).await.unwrap().success(),
        "reconnects once the node is back"
    );

    // A hung node costs one timeout, not a hang.
    sim.set_fault(
        "spark-2",
        "ssh",
        Fault {
            hang: true,
            ..Fault::default()
        },
    )
    .await
    .unwrap();
    let err = ssh
        .exec(&["true"], Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::CommandTimeout { .. }), "{err}");
}
