//! The commands a simulated Spark answers over SSH, with the output format of the real tools.
//!
//! A command line arrives as one string (SSH has no argv). It is split with POSIX shell rules,
//! so a value the controller failed to quote shows up here as a split or a syntax error, just as
//! it would on a real node. Pipes, redirections, `;` and `&&` are refused: the controller must
//! not depend on a remote shell's features to be correct (so the recipe launcher is run by its
//! path, `spark-vllm-docker/run-recipe.sh …`, never as `cd DIR && ./run-recipe.sh …`).

use crate::node::{SimNode, DISK_TOTAL_BYTES, DISK_USED_BYTES};
use crate::vllm::GPU_MEMORY_BYTES;

/// What a command printed and how it exited.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u32,
}

impl Output {
    pub fn ok(stdout: &str) -> Self {
        Self {
            stdout: stdout.to_string(),
            ..Self::default()
        }
    }

    pub fn err(code: u32, stderr: &str) -> Self {
        Self {
            stderr: stderr.to_string(),
            code,
            ..Self::default()
        }
    }

    /// Records one failure in a multi-target command (`docker stop a b`), keeping the rest.
    pub fn fail(&mut self, code: u32, stderr: &str) {
        self.stderr.push_str(stderr);
        self.code = code;
    }
}

/// Runs one command line on `node`.
pub fn run(node: &SimNode, line: &str) -> Output {
    if let Some(op) = unquoted_operator(line) {
        return Output::err(2, &format!("sim: unquoted shell metacharacter {op:?}: refused (a real shell would have run it)\n"));
    }
    let argv = match shell_words::split(line) {
        Ok(argv) => argv,
        Err(_) => return Output::err(2, "sh: 1: Syntax error: Unterminated quoted string\n"),
    };
    let Some((cmd, args)) = argv.split_first() else {
        return Output::ok("");
    };
    match cmd.as_str() {
        "docker" => crate::docker::run(node, args),
        "nvidia-smi" => nvidia_smi(node, args),
        "free" => free(node, args),
        "df" => df(args),
        "uptime" => uptime(node),
        "cat" if args == ["/proc/uptime"] => Output::ok(&format!(
            "{:.2} {:.2}\n",
            node.uptime_secs(),
            node.uptime_secs() * 19.3
        )),
        "hostname" => Output::ok(&format!("{}\n", node.name)),
        "echo" => Output::ok(&format!("{}\n", args.join(" "))),
        "true" => Output::ok(""),
        "false" => Output::err(1, ""),
        other if crate::launcher::is_launcher(node, other) => crate::launcher::run(node, args),
        other => Output::err(127, &format!("sh: 1: {other}: not found\n")),
    }
}

/// The first character a POSIX shell would treat as an operator or expansion rather than as
/// data: outside quotes `; & | < > ( ) $ \``, inside double quotes `$` and `` ` ``.
fn unquoted_operator(line: &str) -> Option<char> {
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '$' | '`' if !single => return Some(c),
            ';' | '&' | '|' | '<' | '>' | '(' | ')' if !single && !double => return Some(c),
            _ => {}
        }
    }
    None
}

fn nvidia_smi(node: &SimNode, args: &[String]) -> Output {
    let mib = |bytes: u64| bytes / (1024 * 1024);
    let used = mib(node.gpu_memory_used_bytes());
    let total = mib(GPU_MEMORY_BYTES);
    let util = node.gpu_utilization_pct();
    let temp = 38 + util / 4;
    let power = 11.0 + f64::from(util) * 0.9;
    let query = args.iter().find_map(|a| a.strip_prefix("--query-gpu="));
    let csv = args.iter().any(|a| a.starts_with("--format=csv"));
    let Some(query) = query else {
        if args.iter().any(|a| a.starts_with("--query-compute-apps=")) {
            let rows: String = node
                .gpu_processes()
                .iter()
                .enumerate()
                .map(|(i, bytes)| format!("{}, VLLM::EngineCore, {}\n", 4100 + i, mib(*bytes)))
                .collect();
            return Output::ok(&rows);
        }
        if !args.is_empty() && !csv {
            return Output::err(
                2,
                &format!(
                    "Invalid combination of input arguments: {}\n",
                    args.join(" ")
                ),
            );
        }
        return Output::ok(&format!(
            "+-----------------------------------------------------------------------------------------+\n\
             | NVIDIA-SMI 580.95.05              Driver Version: 580.95.05      CUDA Version: 13.0     |\n\
             |   0  NVIDIA GB10                    On  |   0000000F:01:00.0 Off |                  N/A |\n\
             | N/A   {temp}C    P0   {power:>5.1}W / N/A  |  {used:>6}MiB / {total}MiB |    {util:>3}%      Default |\n\
             +-----------------------------------------------------------------------------------------+\n"
        ));
    };
    let nounits = args.iter().any(|a| a.contains("nounits"));
    let unit = |value: String, unit: &str| {
        if nounits {
            value
        } else {
            format!("{value} {unit}")
        }
    };
    let mut fields = Vec::new();
    for field in query.split(',').map(str::trim) {
        fields.push(match field {
            "name" => "NVIDIA GB10".to_string(),
            "index" => "0".to_string(),
            "uuid" => format!(
                "GPU-{:08x}-sim0-{}",
                node.name.len() as u32 * 7919,
                node.name
            ),
            "utilization.gpu" => unit(util.to_string(), "%"),
            "memory.used" => unit(used.to_string(), "MiB"),
            "memory.total" => unit(total.to_string(), "MiB"),
            "memory.free" => unit((total - used).to_string(), "MiB"),
            "temperature.gpu" => temp.to_string(),
            "power.draw" => unit(format!("{power:.2}"), "W"),
            "driver_version" => "580.95.05".to_string(),
            other => {
                return Output::err(
                    2,
                    &format!("Field \"{other}\" is not a valid field to query.\n"),
                )
            }
        });
    }
    Output::ok(&format!("{}\n", fields.join(", ")))
}

fn free(node: &SimNode, args: &[String]) -> Output {
    let divisor: u64 = match args.first().map(String::as_str) {
        Some("-b") => 1,
        Some("-m") | Some("--mega") => 1024 * 1024,
        Some("-g") | Some("--giga") => 1024 * 1024 * 1024,
        None | Some("-k") => 1024,
        Some(other) => {
            return Output::err(
                1,
                &format!(
                    "free: invalid option -- '{}'\n",
                    other.trim_start_matches('-')
                ),
            )
        }
    };
    let total = GPU_MEMORY_BYTES;
    let used = node.memory_used_bytes();
    let cache = 9 * 1024 * 1024 * 1024u64;
    let free = total.saturating_sub(used + cache);
    let available = total.saturating_sub(used);
    let d = |v: u64| v / divisor;
    Output::ok(&format!(
        "               total        used        free      shared  buff/cache   available\n\
         Mem:    {:>12} {:>11} {:>11} {:>11} {:>11} {:>11}\n\
         Swap:   {:>12} {:>11} {:>11}\n",
        d(total),
        d(used),
        d(free),
        d(64 * 1024 * 1024),
        d(cache),
        d(available),
        d(0),
        d(0),
        d(0)
    ))
}

fn df(args: &[String]) -> Output {
    let block: u64 = if args.iter().any(|a| a == "-B1") {
        1
    } else {
        1024
    };
    let mount = args
        .iter()
        .rev()
        .find(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_else(|| "/".into());
    let total = DISK_TOTAL_BYTES / block;
    let used = DISK_USED_BYTES / block;
    let header = if block == 1 {
        "1B-blocks"
    } else {
        "1024-blocks"
    };
    Output::ok(&format!(
        "Filesystem     {header:>14} {:>14} {:>14} Capacity Mounted on\n/dev/nvme0n1p2 {total:>14} {used:>14} {:>14}      {}% {mount}\n",
        "Used", "Available", total - used, used * 100 / total
    ))
}

fn uptime(node: &SimNode) -> Output {
    let secs = node.uptime_secs() as u64;
    let now = crate::clock::utc_now();
    Output::ok(&format!(
        " {:02}:{:02}:{:02} up {} days, {:2}:{:02},  1 user,  load average: 0.{:02}, 0.10, 0.05\n",
        now.hour,
        now.minute,
        now.second,
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        node.gpu_utilization_pct() / 4
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vllm::Timing;

    #[test]
    fn unquoted_metacharacters_never_run() {
        let node = SimNode::new("n", std::net::Ipv4Addr::LOCALHOST, Timing::default());
        let out = run(&node, "docker logs x; rm -rf /");
        assert_eq!(out.code, 2);
        let out = run(&node, "echo 'unterminated");
        assert_eq!(out.code, 2);
        // Quoted, the same characters are just data.
        assert_eq!(run(&node, "echo 'a; b'").stdout, "a; b\n");
    }

    #[test]
    fn nvidia_smi_csv_has_requested_fields() {
        let node = SimNode::new("n", std::net::Ipv4Addr::LOCALHOST, Timing::default());
        let out = run(&node, "nvidia-smi --query-gpu=name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits");
        assert_eq!(out.stdout, "NVIDIA GB10, 0, 0, 131072\n");
        assert_eq!(
            run(&node, "nvidia-smi --query-gpu=bogus --format=csv").code,
            2
        );
    }
}
