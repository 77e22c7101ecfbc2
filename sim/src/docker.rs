//! The `docker` CLI as far as the controller uses it: `ps`, `run`, `stop`, `kill`, `rm`,
//! `start`, `logs`, `inspect`. Output formats and error wording follow the real CLI, so that the
//! controller's parsing is tested against what it will meet on a Spark.

use serde_json::{json, Value};

use crate::clock::rfc3339;
use crate::node::{Container, ContainerState, SimNode};
use crate::shell::Output;

pub fn run(node: &SimNode, args: &[String]) -> Output {
    let Some((sub, rest)) = args.split_first() else {
        return Output::err(1, "Usage:  docker [OPTIONS] COMMAND\n");
    };
    match sub.as_str() {
        "ps" => ps(node, rest),
        "run" => run_container(node, rest),
        "stop" | "kill" => for_each(node, rest, |_, c| {
            SimNode::stop_container(c);
            Ok(())
        }),
        "rm" => rm(node, rest),
        "start" => for_each(node, rest, |node, c| node.restart_container(c)),
        "logs" => logs(node, rest),
        "inspect" => inspect(node, rest),
        "version" => Output::ok("Docker version 28.2.2, build e6534b4 (simulated)\n"),
        other => Output::err(1, &format!("docker: unknown command: docker {other}\n\nRun 'docker --help' for more information\n")),
    }
}

/// Splits `--flag value`, `--flag=value` and bare flags; `value_flags` lists flags that take one.
struct Flags<'a> {
    args: &'a [String],
    pos: usize,
}

impl<'a> Flags<'a> {
    fn new(args: &'a [String]) -> Self {
        Self { args, pos: 0 }
    }

    /// The next flag with its value (if it takes one), or `None` at the first positional.
    fn next(&mut self, value_flags: &[&str]) -> Option<Result<(String, Option<String>), String>> {
        let arg = self.args.get(self.pos)?;
        if !arg.starts_with('-') || arg == "-" {
            return None;
        }
        self.pos += 1;
        if arg == "--" {
            return None;
        }
        if let Some((flag, value)) = arg.split_once('=') {
            return Some(Ok((flag.to_string(), Some(value.to_string()))));
        }
        if value_flags.contains(&arg.as_str()) {
            let value = self.args.get(self.pos).cloned();
            self.pos += 1;
            return Some(
                value
                    .map(|v| (arg.clone(), Some(v)))
                    .ok_or_else(|| format!("flag needs an argument: {arg}")),
            );
        }
        Some(Ok((arg.clone(), None)))
    }

    fn rest(&self) -> &'a [String] {
        &self.args[self.pos.min(self.args.len())..]
    }
}

fn ps(node: &SimNode, args: &[String]) -> Output {
    let mut flags = Flags::new(args);
    let (mut all, mut quiet, mut format, mut name_filter) = (false, false, None, None);
    while let Some(flag) = flags.next(&["--format", "--filter", "-f"]) {
        match flag {
            Ok((f, _)) if f == "-a" || f == "--all" => all = true,
            Ok((f, _)) if f == "-q" || f == "--quiet" => quiet = true,
            Ok((f, _)) if f == "-aq" || f == "-qa" => (all, quiet) = (true, true),
            Ok((f, v)) if f == "--format" => format = v,
            Ok((f, Some(v))) if f == "--filter" || f == "-f" => match v.split_once('=') {
                Some(("name", n)) => name_filter = Some(n.to_string()),
                _ => {
                    return Output::err(
                        1,
                        &format!("Error response from daemon: invalid filter '{v}'\n"),
                    )
                }
            },
            Ok((f, _)) => return Output::err(125, &format!("unknown flag: {f}\n")),
            Err(e) => return Output::err(125, &format!("{e}\n")),
        }
    }
    let containers = node.containers();
    let shown = containers
        .iter()
        .filter(|c| all || c.effective_state() == ContainerState::Running)
        .filter(|c| {
            name_filter
                .as_ref()
                .is_none_or(|n| c.name.contains(n.as_str()))
        });
    let mut out = String::new();
    if quiet {
        for c in shown {
            out.push_str(&c.id[..12]);
            out.push('\n');
        }
        return Output::ok(&out);
    }
    let template = format.unwrap_or_else(|| "table".to_string());
    if template == "table" {
        out.push_str("CONTAINER ID   IMAGE                      COMMAND                  STATUS          NAMES\n");
        for c in shown {
            let row = ps_row(c);
            out.push_str(&format!(
                "{}   {:<26} {:<24} {:<15} {}\n",
                &c.id[..12],
                row["Image"].as_str().unwrap_or(""),
                row["Command"].as_str().unwrap_or(""),
                row["Status"].as_str().unwrap_or(""),
                c.name
            ));
        }
        return Output::ok(&out);
    }
    for c in shown {
        out.push_str(&render_template(&template, &ps_row(c)));
        out.push('\n');
    }
    Output::ok(&out)
}

/// One container as `docker ps --format '{{json .}}'` prints it.
fn ps_row(c: &Container) -> Value {
    let command = format!("\"{}\"", c.command.join(" "));
    let command = if command.len() > 22 {
        format!("{}…\"", &command[..20.min(command.len())])
    } else {
        command
    };
    let (state, status) = match c.effective_state() {
        ContainerState::Running => ("running", format!("Up {}", human_age(c.started))),
        ContainerState::Exited(code) => (
            "exited",
            format!(
                "Exited ({code}) {} ago",
                human_age(c.finished.unwrap_or(c.started))
            ),
        ),
    };
    json!({
        "Command": command, "CreatedAt": rfc3339(c.created), "ID": &c.id[..12], "Image": c.image,
        "Labels": "", "LocalVolumes": "0", "Mounts": "", "Names": c.name, "Networks": "host",
        "Ports": "", "RunningFor": format!("{} ago", human_age(c.created)), "Size": "0B",
        "State": state, "Status": status,
    })
}

fn human_age(since: std::time::SystemTime) -> String {
    let secs = since.elapsed().map_or(0, |d| d.as_secs());
    match secs {
        0..=59 => format!("{secs} seconds"),
        60..=3599 => format!("{} minutes", secs / 60),
        3600..=172_799 => format!("{} hours", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// Go-template subset: `{{json .}}`, `{{.Field}}`, `{{json .Field}}`, `{{.A.B}}`, and `\t`.
fn render_template(template: &str, value: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let expr = rest[start + 2..start + end].trim();
        let (json_out, path) = match expr.strip_prefix("json ") {
            Some(p) => (true, p.trim()),
            None => (false, expr),
        };
        let mut v = value;
        for part in path
            .trim_start_matches('.')
            .split('.')
            .filter(|p| !p.is_empty())
        {
            v = v.get(part).unwrap_or(&Value::Null);
        }
        match (json_out, v) {
            (true, v) => out.push_str(&v.to_string()),
            (false, Value::String(s)) => out.push_str(s),
            (false, Value::Null) => out.push_str("<no value>"),
            (false, v) => out.push_str(&v.to_string()),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out.replace("\\t", "\t")
}

fn run_container(node: &SimNode, args: &[String]) -> Output {
    const VALUE_FLAGS: &[&str] = &[
        "--name",
        "--gpus",
        "--network",
        "--net",
        "--ipc",
        "--shm-size",
        "-e",
        "--env",
        "-v",
        "--volume",
        "-p",
        "--publish",
        "--restart",
        "--ulimit",
        "--runtime",
        "--entrypoint",
        "-w",
        "--workdir",
        "--env-file",
        "--label",
        "-l",
        "--user",
        "-u",
        "--pull",
        "--memory",
        "-m",
        "--device",
        "--cap-add",
    ];
    let mut flags = Flags::new(args);
    let mut name = None;
    while let Some(flag) = flags.next(VALUE_FLAGS) {
        match flag {
            Ok((f, v)) if f == "--name" => name = v,
            Ok((f, _)) if f.starts_with("--") && VALUE_FLAGS.contains(&f.as_str()) => {}
            Ok((f, _)) if is_known_switch(&f) || VALUE_FLAGS.contains(&f.as_str()) => {}
            Ok((f, _)) => {
                return Output::err(
                    125,
                    &format!("unknown flag: {f}\nSee 'docker run --help'.\n"),
                )
            }
            Err(e) => return Output::err(125, &format!("{e}\nSee 'docker run --help'.\n")),
        }
    }
    let Some((image, command)) = flags.rest().split_first() else {
        return Output::err(125, "docker: 'docker run' requires at least 1 argument.\n");
    };
    match node.run_container(name, image, command.to_vec()) {
        Ok(id) => Output::ok(&format!("{id}\n")),
        Err(e) => Output::err(125, &format!("{e}\n")),
    }
}

fn is_known_switch(flag: &str) -> bool {
    matches!(
        flag,
        "-d" | "--detach"
            | "--rm"
            | "-i"
            | "-t"
            | "-it"
            | "-dit"
            | "--interactive"
            | "--tty"
            | "--privileged"
            | "--init"
    )
}

/// Applies `action` to each named container; missing names are reported like docker does.
fn for_each(
    node: &SimNode,
    args: &[String],
    action: impl Fn(&SimNode, &mut Container) -> Result<(), String>,
) -> Output {
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next(&["-t", "--time", "-s", "--signal"]) {
        if let Err(e) = flag {
            return Output::err(125, &format!("{e}\n"));
        }
    }
    let names = flags.rest();
    if names.is_empty() {
        return Output::err(1, "requires at least 1 argument\n");
    }
    let mut out = Output::ok("");
    for key in names {
        let mut containers = node.containers();
        match SimNode::find(&mut containers, key) {
            Some(c) => match action(node, c) {
                Ok(()) => out.stdout.push_str(&format!("{key}\n")),
                Err(e) => out.fail(1, &format!("Error response from daemon: {e}\n")),
            },
            None => out.fail(
                1,
                &format!("Error response from daemon: No such container: {key}\n"),
            ),
        }
    }
    out
}

fn rm(node: &SimNode, args: &[String]) -> Output {
    let force = args.iter().any(|a| a == "-f" || a == "--force");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        return Output::err(1, "requires at least 1 argument\n");
    }
    let mut out = Output::ok("");
    let mut containers = node.containers();
    for key in names {
        let Some(c) = SimNode::find(&mut containers, key) else {
            out.fail(
                1,
                &format!("Error response from daemon: No such container: {key}\n"),
            );
            continue;
        };
        if c.effective_state() == ContainerState::Running && !force {
            out.fail(1, &format!("Error response from daemon: cannot remove container \"/{}\": container is running: stop the container before removing or force remove\n", c.name));
            continue;
        }
        SimNode::stop_container(c);
        let id = c.id.clone();
        containers.retain(|c| c.id != id);
        out.stdout.push_str(&format!("{key}\n"));
    }
    out
}

fn logs(node: &SimNode, args: &[String]) -> Output {
    let mut flags = Flags::new(args);
    let mut tail = None;
    while let Some(flag) = flags.next(&["--tail", "-n", "--since", "--until"]) {
        match flag {
            Ok((f, Some(v))) if f == "--tail" || f == "-n" => {
                tail = if v == "all" {
                    None
                } else {
                    match v.parse() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            return Output::err(1, &format!("invalid value for --tail: {v}\n"))
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(e) => return Output::err(125, &format!("{e}\n")),
        }
    }
    let [key] = flags.rest() else {
        return Output::err(1, "\"docker logs\" requires exactly 1 argument.\n");
    };
    let mut containers = node.containers();
    match SimNode::find(&mut containers, key) {
        Some(c) => {
            let mut text = c.logs.tail(tail).join("\n");
            if !text.is_empty() {
                text.push('\n');
            }
            Output::ok(&text)
        }
        None => Output::err(
            1,
            &format!("Error response from daemon: No such container: {key}\n"),
        ),
    }
}

fn inspect(node: &SimNode, args: &[String]) -> Output {
    let mut flags = Flags::new(args);
    let mut format = None;
    while let Some(flag) = flags.next(&["--format", "-f", "--type"]) {
        match flag {
            Ok((f, v)) if f == "--format" || f == "-f" => format = v,
            Ok(_) => {}
            Err(e) => return Output::err(125, &format!("{e}\n")),
        }
    }
    let mut found = Vec::new();
    let mut out = Output::ok("");
    let mut containers = node.containers();
    for key in flags.rest() {
        match SimNode::find(&mut containers, key) {
            Some(c) => found.push(inspect_value(c)),
            None => out.fail(1, &format!("Error: No such object: {key}\n")),
        }
    }
    out.stdout = match format {
        Some(t) => found
            .iter()
            .map(|v| render_template(&t, v) + "\n")
            .collect(),
        None => format!(
            "{}\n",
            serde_json::to_string_pretty(&Value::Array(found)).unwrap_or_default()
        ),
    };
    out
}

fn inspect_value(c: &Container) -> Value {
    let (status, running, code) = match c.effective_state() {
        ContainerState::Running => ("running", true, 0),
        ContainerState::Exited(code) => ("exited", false, code),
    };
    json!({
        "Id": c.id, "Created": rfc3339(c.created), "Name": format!("/{}", c.name),
        "State": {"Status": status, "Running": running, "Paused": false, "Restarting": false,
                  "OOMKilled": false, "Dead": false, "ExitCode": code, "Error": "",
                  "StartedAt": rfc3339(c.started),
                  "FinishedAt": c.finished.map_or("0001-01-01T00:00:00Z".to_string(), rfc3339)},
        "Config": {"Image": c.image, "Cmd": c.command},
        "HostConfig": {"NetworkMode": "host"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_renders_fields_and_json() {
        let v = json!({"Names": "vllm", "State": "running", "Config": {"Image": "img"}});
        assert_eq!(
            render_template("{{.Names}}\\t{{.State}}", &v),
            "vllm\trunning"
        );
        assert_eq!(
            render_template("{{json .Config}}", &v),
            "{\"Image\":\"img\"}"
        );
        assert_eq!(render_template("{{.Config.Image}}", &v), "img");
    }
}
