//! spark-vllm-docker's recipe launcher, as far as the controller drives it:
//!
//! ```text
//! DIR/run-recipe.sh RECIPE (--solo | -n HEAD_IP,WORKER_IP) -d [--name NAME] [--port PORT] [-- VLLM_ARGS…]
//! ```
//!
//! The real script (eugr/spark-vllm-docker) reads `recipes/RECIPE.yaml`, then starts one
//! container per node, all with the same name (`vllm_node` unless `--name` says otherwise):
//! `--solo` runs the model on this node alone; `-n` makes the first address the head (it must
//! be this node) and the others workers, reached over SSH, with the model split across them
//! (tensor parallel, Ray). `-d` leaves the containers running when the script returns; without
//! it the script stays in the foreground and stops the cluster when it exits, which over SSH
//! would tie the model's life to the session — the simulator refuses that, so a controller that
//! forgets `-d` fails its tests. Arguments after `--` go to `vllm serve`.
//!
//! Here the recipes are a table ([`SimRecipe`]), the head is a simulated vLLM and each worker a
//! [`RayWorker`] container on a peer node, holding that node's share of memory. A worker that
//! cannot join (fault `down` on service `"ray"` of its node) exits at once, and the head then
//! fails while loading and its container exits, as vLLM does when its placement group loses a
//! node. Exited containers stay until removed (the real launcher runs them with `--rm`), so
//! tests see whether the controller cleans up after a failure.
//!
//! All simulated nodes may share one loopback address: a worker address then names the first
//! peer with that address not already in the list.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use crate::faults::FaultTable;
use crate::node::{SimNode, Workload};
use crate::shell::Output;
use crate::vllm::{PeerCheck, VllmArgs, VllmServer};

/// The launcher script's file name.
pub const SCRIPT: &str = "run-recipe.sh";
/// Where the launcher lives by default, relative to the login's home.
pub const DEFAULT_DIR: &str = "spark-vllm-docker";
/// The container name the launcher uses when `--name` is not given.
pub const DEFAULT_CONTAINER: &str = "vllm_node";
/// The service name of a node's Ray worker, for faults.
pub const RAY_SERVICE: &str = "ray";
/// The port the Ray head listens on (the launcher's default `--master-port`).
const RAY_PORT: u16 = 29501;
/// vLLM's port when the launcher is not given `--port` (recipes default to 8000).
const DEFAULT_PORT: u16 = 8000;

/// One recipe the simulated launcher knows (a `recipes/NAME.yaml` of the real one).
#[derive(Clone, Debug)]
pub struct SimRecipe {
    pub name: String,
    pub image: String,
    pub model: String,
    /// `vllm serve` arguments after the model, before the controller's own.
    pub args: Vec<String>,
    /// The model is too large for one node: `--solo` is refused.
    pub cluster_only: bool,
}

impl SimRecipe {
    pub fn new(name: &str, model: &str, args: &[&str], cluster_only: bool) -> Self {
        Self {
            name: name.into(),
            image: "vllm-node".into(),
            model: model.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            cluster_only,
        }
    }

    /// Recipes like those spark-vllm-docker ships, including the one the example catalog uses
    /// (`qwen3-235b-a22b-fp4`, both nodes).
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new(
                "qwen3-235b-a22b-fp4",
                "nvidia/Qwen3-235B-A22B-FP4",
                &[
                    "--max-model-len",
                    "32768",
                    "--gpu-memory-utilization",
                    "0.75",
                ],
                true,
            ),
            Self::new(
                "qwen3-coder-30b-a3b-fp8",
                "Qwen/Qwen3-Coder-30B-A3B-Instruct-FP8",
                &[
                    "--max-model-len",
                    "65536",
                    "--gpu-memory-utilization",
                    "0.4",
                ],
                false,
            ),
            Self::new(
                "openai-gpt-oss-120b",
                "openai/gpt-oss-120b",
                &["--gpu-memory-utilization", "0.7"],
                false,
            ),
        ]
    }
}

/// The worker side of a model spanning nodes: it holds its node's share of the model's memory
/// (as much as the head holds) while it runs.
pub struct RayWorker {
    head: OnceLock<Weak<VllmServer>>,
    faults: Arc<FaultTable>,
    failed: AtomicBool,
}

impl RayWorker {
    fn new(faults: Arc<FaultTable>) -> Arc<Self> {
        let worker = Arc::new(Self {
            head: OnceLock::new(),
            faults,
            failed: AtomicBool::new(false),
        });
        worker.alive();
        worker
    }

    /// False once the worker has lost the cluster (fault `down` on `"ray"`); it stays lost.
    pub fn alive(&self) -> bool {
        if self.faults.get(RAY_SERVICE).down {
            self.failed.store(true, Ordering::Relaxed);
        }
        !self.failed.load(Ordering::Relaxed)
    }

    pub fn memory_bytes(&self) -> u64 {
        if !self.alive() {
            return 0;
        }
        self.head
            .get()
            .and_then(Weak::upgrade)
            .map_or(0, |head| head.memory_bytes())
    }
}

/// Whether `program` (the first word of a command line) is this node's launcher.
pub fn is_launcher(node: &SimNode, program: &str) -> bool {
    let program = program.strip_prefix("./").unwrap_or(program);
    let dir = node.recipe_dir.trim_end_matches('/');
    program == format!("{dir}/{SCRIPT}")
}

struct Request {
    recipe: String,
    solo: bool,
    nodes: Option<String>,
    daemon: bool,
    name: Option<String>,
    port: Option<u16>,
    vllm_args: Vec<String>,
}

fn parse(args: &[String]) -> Result<Request, String> {
    let mut request = Request {
        recipe: String::new(),
        solo: false,
        nodes: None,
        daemon: false,
        name: None,
        port: None,
        vllm_args: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let mut value = || {
            i += 1;
            args.get(i - 1)
                .cloned()
                .ok_or_else(|| format!("argument {arg}: expected one argument"))
        };
        match arg.as_str() {
            "--" => {
                request.vllm_args = args[i..].to_vec();
                break;
            }
            "--solo" => request.solo = true,
            "-d" | "--daemon" => request.daemon = true,
            "-n" | "--nodes" => request.nodes = Some(value()?),
            "--name" => request.name = Some(value()?),
            "--port" => {
                let v = value()?;
                request.port = Some(
                    v.parse()
                        .map_err(|_| format!("argument --port: invalid int value: '{v}'"))?,
                );
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unrecognized arguments: {flag} (the simulator knows --solo, -n, -d, --name, --port and -- VLLM_ARGS)"
                ))
            }
            recipe if request.recipe.is_empty() => request.recipe = recipe.to_string(),
            extra => return Err(format!("unrecognized arguments: {extra}")),
        }
    }
    if request.recipe.is_empty() {
        return Err("the following arguments are required: recipe".into());
    }
    Ok(request)
}

/// Runs the launcher on `node` (the head).
pub fn run(node: &SimNode, args: &[String]) -> Output {
    let request = match parse(args) {
        Ok(r) => r,
        Err(e) => {
            return Output::err(
                2,
                &format!("usage: run-recipe.py [-h] [--solo] [-n NODES] [-d] [--name NAME] [--port PORT] recipe\nrun-recipe.py: error: {e}\n"),
            )
        }
    };
    let name = request.recipe.trim_end_matches(".yaml");
    let Some(recipe) = node.recipes.iter().find(|r| r.name == name).cloned() else {
        return failed(
            "",
            &format!(
                "Error: Recipe not found: {}\nSearched in: {}, {}/recipes\n",
                request.recipe, request.recipe, node.recipe_dir
            ),
        );
    };
    let mut out = format!("Recipe: {}\n\n", recipe.name);
    if !request.daemon {
        return Output::err(2, "sim: run-recipe.sh without -d stays in the foreground and stops the cluster when it exits (here: when the SSH session ends); pass -d\n");
    }
    let addresses: Vec<String> = match (&request.nodes, request.solo) {
        (Some(_), true) => return failed(&out, "Error: --solo and -n exclude each other.\n"),
        (None, false) => {
            return failed(&out, "No cluster nodes configured. Running autodiscover...\nError: autodiscovery needs a terminal; pass --solo or -n\n")
        }
        (None, true) => Vec::new(),
        (Some(list), false) => list
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
    };
    let cluster = addresses.len() > 1;
    if recipe.cluster_only && !cluster {
        return failed(
            &out,
            &format!(
                "Error: Recipe '{}' requires cluster mode.\nThis model is too large to run on a single node.\n",
                recipe.name
            ),
        );
    }
    let workers = match workers(node, &addresses) {
        Ok(workers) => workers,
        Err(e) => return failed(&out, &e),
    };
    let container = request
        .name
        .clone()
        .unwrap_or_else(|| DEFAULT_CONTAINER.into());
    out.push_str(&format!(
        "Head Node: {}\nWorker Nodes: {}\nContainer Name: {container}\nImage Name: {}\n",
        node.ip,
        workers
            .iter()
            .map(|w| w.ip.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        recipe.image
    ));
    let running = |n: &SimNode| {
        n.containers().iter().any(|c| {
            c.name == container && c.effective_state() == crate::node::ContainerState::Running
        })
    };
    if running(node) || workers.iter().any(|w| running(w)) {
        out.push_str(&format!("Warning: Container '{container}' is already running.\nCluster containers are already running. Skipping launch.\n"));
        return Output::ok(&out);
    }

    let mut command = vec![
        "vllm".to_string(),
        "serve".to_string(),
        recipe.model.clone(),
    ];
    command.extend(recipe.args.iter().cloned());
    command.extend([
        "--port".into(),
        request.port.unwrap_or(DEFAULT_PORT).to_string(),
        "--tensor-parallel-size".into(),
        (workers.len() + 1).to_string(),
    ]);
    if cluster {
        command.extend(["--distributed-executor-backend".into(), "ray".into()]);
    }
    command.extend(request.vllm_args.iter().cloned());
    let args = match VllmArgs::parse(&command) {
        Ok(Some(args)) => args,
        Ok(None) => unreachable!("the command is `vllm serve`"),
        Err(e) => return failed(&out, &format!("vllm: error: {e}\n")),
    };

    // Workers first, so the head's check has something to look at; the head's failure to
    // start removes them again (the launcher's cleanup).
    let mut started: Vec<(Arc<SimNode>, String, Arc<RayWorker>)> = Vec::new();
    for worker in &workers {
        out.push_str(&format!("Starting Worker Node on {}...\n", worker.ip));
        let ray = RayWorker::new(worker.faults.clone());
        let head_ip = node.ip;
        let worker_ip = worker.ip;
        let result = worker.add_container(
            Some(container.clone()),
            &recipe.image,
            vec!["sleep".into(), "infinity".into()],
            |logs| {
                logs.push(format!("Local node IP: {worker_ip}"));
                if ray.alive() {
                    logs.push("--------------------");
                    logs.push("Ray runtime started.");
                    logs.push("--------------------");
                } else {
                    logs.push(format!("ConnectionError: ray start failed: could not connect to the Ray head at {head_ip}:{RAY_PORT}"));
                }
                Workload::RayWorker(ray.clone())
            },
        );
        match result {
            Ok(id) => started.push((worker.clone(), id, ray)),
            Err(e) => {
                remove(&started);
                return failed(&out, &format!("{e}\n"));
            }
        }
    }
    out.push_str(&format!("Starting Head Node on {}...\n", node.ip));
    let checks: Vec<(Weak<SimNode>, String, String)> = started
        .iter()
        .map(|(n, id, _)| (Arc::downgrade(n), id.clone(), n.name.clone()))
        .collect();
    let peers: Option<PeerCheck> = cluster.then(|| {
        Box::new(move || {
            for (node, id, name) in &checks {
                if !node.upgrade().is_some_and(|n| n.is_running(id)) {
                    return Err(format!("the Ray worker on {name} died"));
                }
            }
            Ok(())
        }) as PeerCheck
    });
    let mut head = None;
    let result = node.add_container(Some(container.clone()), &recipe.image, command, |logs| {
        let server = VllmServer::launch_with_peers(
            node.ip,
            args,
            logs,
            node.faults.clone(),
            node.timing,
            peers,
        );
        head = Some(Arc::downgrade(&server));
        Workload::Vllm(server)
    });
    if let Err(e) = result {
        remove(&started);
        return failed(&out, &format!("{e}\n"));
    }
    if let Some(head) = head {
        for (_, _, ray) in &started {
            let _ = ray.head.set(head.clone());
        }
    }
    out.push_str("Daemon mode: the cluster keeps running after this script exits.\n");
    Output::ok(&out)
}

/// The peer nodes the worker addresses name; the first address must be this node's.
fn workers(node: &SimNode, addresses: &[String]) -> Result<Vec<Arc<SimNode>>, String> {
    let Some((head, others)) = addresses.split_first() else {
        return Ok(Vec::new());
    };
    if head.parse::<Ipv4Addr>().ok() != Some(node.ip) {
        return Err(format!(
            "Error: Local IP ({}) is not the head (first) of the list of nodes ({}).\n",
            node.ip,
            addresses.join(",")
        ));
    }
    let peers = node.peers();
    let mut chosen: Vec<Arc<SimNode>> = Vec::new();
    for address in others {
        let ip = address.parse::<Ipv4Addr>().ok();
        let peer = peers.iter().find(|p| {
            Some(p.ip) == ip
                && !std::ptr::eq(p.as_ref(), node)
                && !chosen.iter().any(|c| Arc::ptr_eq(c, p))
        });
        match peer {
            Some(peer) => chosen.push(peer.clone()),
            None => {
                return Err(format!(
                    "Error: Passwordless SSH to {address} failed.\n  Please ensure SSH keys are configured and the host is reachable.\n"
                ))
            }
        }
    }
    Ok(chosen)
}

fn remove(started: &[(Arc<SimNode>, String, Arc<RayWorker>)]) {
    for (node, id, _) in started {
        node.containers().retain(|c| &c.id != id);
    }
}

/// The launcher's failure: it prints its errors on stdout and exits 1.
fn failed(so_far: &str, error: &str) -> Output {
    Output {
        stdout: format!("{so_far}{error}"),
        stderr: String::new(),
        code: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell;
    use crate::vllm::Timing;
    use std::time::Duration;

    fn pair() -> (Arc<SimNode>, Arc<SimNode>) {
        let timing = Timing {
            load: Duration::from_millis(300),
            token_interval: Duration::from_millis(1),
        };
        let a = Arc::new(SimNode::new("a", Ipv4Addr::LOCALHOST, timing));
        let b = Arc::new(SimNode::new("b", Ipv4Addr::LOCALHOST, timing));
        a.set_peers(vec![Arc::downgrade(&a), Arc::downgrade(&b)]);
        b.set_peers(vec![Arc::downgrade(&a), Arc::downgrade(&b)]);
        (a, b)
    }

    fn names(node: &SimNode) -> String {
        shell::run(node, "docker ps -a --format {{.Names}}:{{.State}}").stdout
    }

    #[tokio::test]
    async fn two_nodes_start_a_head_here_and_a_worker_there() {
        let (a, b) = pair();
        let port = crate::endpoint::free_port(Ipv4Addr::LOCALHOST).unwrap();
        let out = shell::run(&a, &format!("spark-vllm-docker/run-recipe.sh qwen3-235b-a22b-fp4 -n 127.0.0.1,127.0.0.1 -d --name vllm --port {port} -- --served-model-name big"));
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(names(&a), "vllm:running\n");
        assert_eq!(names(&b), "vllm:running\n");
        let cmd = shell::run(&a, "docker inspect --format '{{json .Config.Cmd}}' vllm").stdout;
        assert!(cmd.contains("\"--tensor-parallel-size\",\"2\""), "{cmd}");
        assert!(cmd.ends_with("\"--served-model-name\",\"big\"]\n"), "{cmd}");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(b.gpu_memory_used_bytes() > 90 * 1024 * 1024 * 1024);
        assert_eq!(a.gpu_memory_used_bytes(), b.gpu_memory_used_bytes());
        // The same launch again finds its containers running and leaves them be.
        let again = shell::run(&a, &format!("spark-vllm-docker/run-recipe.sh qwen3-235b-a22b-fp4 -n 127.0.0.1,127.0.0.1 -d --name vllm --port {port}"));
        assert!(again.stdout.contains("Skipping launch"), "{again:?}");
        // Stopping the head frees the worker's memory too; the worker container stays.
        shell::run(&a, "docker stop vllm");
        assert_eq!(b.gpu_memory_used_bytes(), 0);
        assert_eq!(names(&b), "vllm:running\n");
    }

    #[tokio::test]
    async fn a_worker_that_cannot_join_makes_the_head_exit() {
        let (a, b) = pair();
        b.faults.set(
            RAY_SERVICE,
            crate::Fault {
                down: true,
                ..Default::default()
            },
        );
        let port = crate::endpoint::free_port(Ipv4Addr::LOCALHOST).unwrap();
        let out = shell::run(&a, &format!("spark-vllm-docker/run-recipe.sh qwen3-235b-a22b-fp4 -n 127.0.0.1,127.0.0.1 -d --name vllm --port {port}"));
        assert_eq!(
            out.code, 0,
            "the launcher returns before the model loads: {out:?}"
        );
        assert_eq!(names(&b), "vllm:exited\n");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(names(&a), "vllm:exited\n");
        let log = shell::run(&a, "docker logs vllm").stdout;
        assert!(log.contains("the Ray worker on b died"), "{log}");
    }

    #[tokio::test]
    async fn the_launcher_refuses_what_the_real_one_would() {
        let (a, _b) = pair();
        let run = |line: &str| shell::run(&a, line);
        assert_eq!(
            run("spark-vllm-docker/run-recipe.sh nope --solo -d").code,
            1
        );
        assert_eq!(
            run("spark-vllm-docker/run-recipe.sh qwen3-235b-a22b-fp4 --solo -d").code,
            1,
            "cluster-only recipe"
        );
        assert_eq!(
            run("spark-vllm-docker/run-recipe.sh openai-gpt-oss-120b --solo").code,
            2,
            "no -d"
        );
        assert_eq!(
            run("spark-vllm-docker/run-recipe.sh openai-gpt-oss-120b -n 10.9.9.9,127.0.0.1 -d")
                .code,
            1,
            "the head must be this node"
        );
        assert_eq!(
            run("spark-vllm-docker/run-recipe.sh openai-gpt-oss-120b -n 127.0.0.1,10.9.9.9 -d")
                .code,
            1,
            "an unknown worker"
        );
        assert_eq!(
            run("elsewhere/run-recipe.sh openai-gpt-oss-120b --solo -d").code,
            127
        );
        assert_eq!(
            run("cd spark-vllm-docker && ./run-recipe.sh openai-gpt-oss-120b --solo -d").code,
            2,
            "no shell operators"
        );
        assert_eq!(names(&a), "");
        let port = crate::endpoint::free_port(Ipv4Addr::LOCALHOST).unwrap();
        let solo = run(&format!(
            "./spark-vllm-docker/run-recipe.sh openai-gpt-oss-120b --solo -d --port {port}"
        ));
        assert_eq!(solo.code, 0, "{solo:?}");
        assert_eq!(
            names(&a),
            "vllm_node:running\n",
            "the launcher's default name"
        );
    }
}
