//! The remote commands of a swap, as argument lists. Pure functions: what runs is decided here
//! and can be shown in a dry run; quoting happens once, in [`crate::ssh::command_line`].

use crate::catalog::{Launch, ModelEntry};

/// The name the controller gives the vLLM container it manages.
pub const CONTAINER: &str = "vllm";

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

/// `docker run` for a container launch on one node; `None` for launches this controller cannot
/// run yet (recipes).
pub fn run(entry: &ModelEntry, port: u16) -> Option<Vec<String>> {
    let Launch::Container { image, model, args } = &entry.launch else {
        return None;
    };
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
    Some(argv)
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

    #[test]
    fn run_puts_controller_flags_before_catalog_args() {
        let entry = ModelEntry {
            id: "m".into(),
            name: "M".into(),
            purpose: String::new(),
            served_model_name: "m".into(),
            nodes: 1,
            memory_gib: 1.0,
            ready_timeout: Duration::from_secs(60),
            launch: Launch::Container {
                image: "img:1".into(),
                model: "org/M".into(),
                args: vec!["--x=a b; c".into()],
            },
        };
        let argv = run(&entry, 8888).unwrap();
        let line = crate::ssh::command_line(&argv);
        assert!(line.starts_with("docker run -d --name vllm --gpus all --network host --ipc host img:1 vllm serve org/M --served-model-name m --port 8888 "), "{line}");
        assert_eq!(
            shell_words::split(&line).unwrap().last().unwrap(),
            "--x=a b; c"
        );
        let recipe = ModelEntry {
            launch: Launch::Recipe("r".into()),
            ..entry
        };
        assert!(run(&recipe, 8888).is_none());
    }
}
