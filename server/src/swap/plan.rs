//! The remote commands of a swap, as argument lists. Pure functions: what runs is decided here
//! and can be shown in a dry run; quoting happens once, in [`crate::ssh::command_line`].
//!
//! A model starts in one of two ways ([`launch`]):
//! - a container launch, on the vLLM node: `docker run -d --name vllm … IMAGE vllm serve MODEL
//!   --served-model-name NAME --port PORT ARGS…`;
//! - a spark-vllm-docker recipe, run on the vLLM node (the head):
//!   `RECIPE_DIR/run-recipe.sh RECIPE (--solo | -n HEAD_IP,WORKER_IP) -d --name vllm --port PORT
//!   -- --served-model-name NAME`. `-d` leaves the model running when the launcher returns
//!   (without it the launcher stops the cluster as it exits); `--name vllm` gives the head's and
//!   the worker's containers the name the controller stops them by; with `-n` the launcher
//!   itself starts the worker container on the other node, over SSH from the head.
//!
//! The launcher is run by its path, not `cd DIR && ./run-recipe.sh`: a command line here is
//! one quoted argv, never shell syntax.

use std::net::Ipv4Addr;

use crate::catalog::{Launch, ModelEntry};

/// The name the controller gives the vLLM container it manages (and, through `--name`, the
/// containers a recipe launch creates on the head and the worker).
pub const CONTAINER: &str = "vllm";

/// spark-vllm-docker's own default container name: a model someone started with the launcher
/// by hand. The swap stops it too, so it is not left holding memory.
pub const LAUNCHER_DEFAULT_CONTAINER: &str = "vllm_node";

/// The launcher script in the recipe directory.
pub const LAUNCHER: &str = "run-recipe.sh";

/// Whether a container belongs to the model the swap replaces. On the vLLM node: the managed
/// names, or any image that names vLLM (so no stray vLLM is left holding memory). On the
/// worker node only the managed names: other services there (embeddings may well run a vLLM
/// image) must keep running.
pub fn is_managed(name: &str, image: &str, on_head: bool) -> bool {
    name == CONTAINER || name == LAUNCHER_DEFAULT_CONTAINER || (on_head && image.contains("vllm"))
}

/// Seconds `docker stop` waits for vLLM to exit before killing it.
pub const STOP_GRACE_SECS: u32 = 30;

pub fn stop(containers: &[String]) -> Vec<String> {
    let mut argv = vec![
        "docker".into(),
        "stop".into(),
        "-t".into(),
        STOP_GRACE_SECS.to_string(),
    ];
    argv.extend(containers.iter().cloned());
    argv
}

/// Removes containers (running or not) so the managed name is free again.
pub fn remove(containers: &[String]) -> Vec<String> {
    let mut argv = vec!["docker".into(), "rm".into(), "-f".into()];
    argv.extend(containers.iter().cloned());
    argv
}

/// The command, run on the head node, that starts `entry`. `nodes` are the IPv4 addresses of
/// the nodes it runs on, head first (one for a one-node model).
pub fn launch(entry: &ModelEntry, port: u16, recipe_dir: &str, nodes: &[Ipv4Addr]) -> Vec<String> {
    match &entry.launch {
        Launch::Container { image, model, args } => {
            debug_assert_eq!(entry.nodes, 1, "the catalog refuses two-node containers");
            let mut argv: Vec<String> = [
                "docker",
                "run",
                "-d",
                "--name",
                CONTAINER,
                "--gpus",
                "all",
                "--network",
                "host",
                "--ipc",
                "host",
            ]
            .map(String::from)
            .to_vec();
            argv.push(image.clone());
            argv.extend(["vllm".into(), "serve".into(), model.clone()]);
            argv.extend([
                "--served-model-name".into(),
                entry.served_model_name.clone(),
            ]);
            argv.extend(["--port".into(), port.to_string()]);
            argv.extend(args.iter().cloned());
            argv
        }
        Launch::Recipe(recipe) => {
            let mut argv = vec![format!("{recipe_dir}/{LAUNCHER}"), recipe.clone()];
            if nodes.len() > 1 {
                let list: Vec<String> = nodes.iter().map(Ipv4Addr::to_string).collect();
                argv.extend(["-n".into(), list.join(",")]);
            } else {
                argv.push("--solo".into());
            }
            argv.extend(
                ["-d", "--name", CONTAINER, "--port"]
                    .map(String::from)
                    .to_vec(),
            );
            argv.push(port.to_string());
            argv.extend([
                "--".into(),
                "--served-model-name".into(),
                entry.served_model_name.clone(),
            ]);
            argv
        }
    }
}

/// The command line container `name` runs (JSON, one element per argument).
pub fn command_of(name: &str) -> Vec<String> {
    [
        "docker",
        "inspect",
        "--format",
        "{{json .Config.Cmd}}",
        name,
    ]
    .map(String::from)
    .to_vec()
}

pub fn logs(tail: usize) -> Vec<String> {
    ["docker", "logs", "--tail", &tail.to_string(), CONTAINER]
        .map(String::from)
        .to_vec()
}

pub fn state() -> Vec<String> {
    [
        "docker",
        "inspect",
        "--format",
        "{{.State.Status}}",
        CONTAINER,
    ]
    .map(String::from)
    .to_vec()
}

pub fn list_containers() -> Vec<String> {
    ["docker", "ps", "-a", "--format", "{{json .}}"]
        .map(String::from)
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(launch: Launch, nodes: u8) -> ModelEntry {
        ModelEntry {
            id: "m".into(),
            name: "M".into(),
            purpose: String::new(),
            served_model_name: "m".into(),
            nodes,
            memory_gib: 1.0,
            ready_timeout: Duration::from_secs(60),
            launch,
        }
    }

    #[test]
    fn run_puts_controller_flags_before_catalog_args() {
        let container = entry(
            Launch::Container {
                image: "img:1".into(),
                model: "org/M".into(),
                args: vec!["--x=a b; c".into()],
            },
            1,
        );
        let argv = launch(&container, 8888, "unused", &[Ipv4Addr::new(10, 0, 0, 1)]);
        let line = crate::ssh::command_line(&argv);
        assert!(line.starts_with("docker run -d --name vllm --gpus all --network host --ipc host img:1 vllm serve org/M --served-model-name m --port 8888 "), "{line}");
        assert_eq!(
            shell_words::split(&line).unwrap().last().unwrap(),
            "--x=a b; c"
        );
    }

    #[test]
    fn recipes_run_the_launcher_by_path_detached_under_the_managed_name() {
        let head = Ipv4Addr::new(192, 168, 1, 11);
        let worker = Ipv4Addr::new(192, 168, 1, 12);
        let solo = entry(Launch::Recipe("qwen3-coder".into()), 1);
        assert_eq!(
            crate::ssh::command_line(&launch(&solo, 8888, "spark-vllm-docker", &[head])),
            "spark-vllm-docker/run-recipe.sh qwen3-coder --solo -d --name vllm --port 8888 -- --served-model-name m"
        );
        let pair = entry(Launch::Recipe("qwen3-235b-a22b-fp4".into()), 2);
        assert_eq!(
            crate::ssh::command_line(&launch(&pair, 8000, "/opt/svd", &[head, worker])),
            "/opt/svd/run-recipe.sh qwen3-235b-a22b-fp4 -n 192.168.1.11,192.168.1.12 -d --name vllm --port 8000 -- --served-model-name m"
        );
    }

    #[test]
    fn only_managed_names_count_on_the_worker() {
        assert!(is_managed("vllm", "vllm-node", false));
        assert!(is_managed("vllm_node", "vllm-node", false));
        assert!(!is_managed("embeddings", "vllm/vllm-openai:latest", false));
        assert!(is_managed("embeddings", "vllm/vllm-openai:latest", true));
        assert!(!is_managed("parakeet", "nemo-asr", true));
    }
}
