//! The model catalog (`models.yaml`): which vLLM models the owner can swap to, and how each is
//! launched.
//!
//! Values in the catalog end up on a remote command line, so they are checked here and, at the
//! point of use, quoted by [`crate::ssh::command_line`]. The controller owns `--port` (from the
//! node's configuration): an entry that sets it is refused. Errors name the entry and field.
//!
//! A model is launched either as a container (`docker run … vllm serve …`, one node) or by a
//! spark-vllm-docker recipe (`run-recipe.sh NAME --solo` on one node, `-n HEAD,WORKER` across
//! two, the launcher starting the Ray worker itself). Two-node models must use a recipe: the
//! launcher already knows how to bring up a Ray cluster on Sparks (interfaces, NCCL settings,
//! image checks on both nodes), and the controller does not re-implement it.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// How a model is started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Launch {
    /// `docker run IMAGE vllm serve MODEL --served-model-name … ARGS…`
    Container {
        image: String,
        model: String,
        args: Vec<String>,
    },
    /// A spark-vllm-docker recipe: `RECIPE_DIR/run-recipe.sh NAME (--solo | -n ip1,ip2) -d …`.
    Recipe(String),
}

/// One model the owner can choose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelEntry {
    pub id: String,
    pub name: String,
    pub purpose: String,
    /// The name vLLM serves it under (what clients put in `"model"`).
    pub served_model_name: String,
    /// 1: one Spark; 2: both Sparks, with Ray.
    pub nodes: u8,
    pub memory_gib: f64,
    pub ready_timeout: Duration,
    pub launch: Launch,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Catalog {
    pub models: Vec<ModelEntry>,
    /// Where spark-vllm-docker is checked out on the vLLM (head) node; a relative path is
    /// relative to the SSH user's home. Recipes run as `RECIPE_DIR/run-recipe.sh`.
    pub recipe_dir: String,
}

/// Where the recipe launcher lives when the catalog does not say.
pub const DEFAULT_RECIPE_DIR: &str = "spark-vllm-docker";

impl Default for Catalog {
    fn default() -> Self {
        Self {
            models: Vec::new(),
            recipe_dir: DEFAULT_RECIPE_DIR.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    recipe_dir: Option<String>,
    models: Vec<EntryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    id: String,
    name: String,
    #[serde(default)]
    purpose: String,
    served_model_name: String,
    nodes: u32,
    memory_gib: f64,
    ready_timeout_secs: u64,
    launch: LaunchFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LaunchFile {
    container: Option<ContainerFile>,
    recipe: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContainerFile {
    image: String,
    model: String,
    #[serde(default)]
    args: Vec<String>,
}

fn invalid(field: String, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// Flags the controller sets itself; an entry may not override them.
const RESERVED_ARGS: [&str; 3] = ["--port", "--host", "--served-model-name"];

impl Catalog {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.into(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Invalid { field, problem } => ConfigError::File {
                path: path.into(),
                message: format!("{field}: {problem}"),
            },
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: CatalogFile =
            serde_yaml::from_str(text).map_err(|e| invalid("models.yaml".into(), e.to_string()))?;
        let recipe_dir = match file.recipe_dir {
            Some(dir) => check_dir("recipe_dir", dir.trim_end_matches('/'))?,
            None => DEFAULT_RECIPE_DIR.to_string(),
        };
        let mut ids = HashSet::new();
        let mut models = Vec::new();
        for (i, entry) in file.models.into_iter().enumerate() {
            let label = if entry.id.is_empty() {
                format!("models[{i}]")
            } else {
                format!("models[{i}] ({})", entry.id)
            };
            let field = |name: &str| format!("{label}.{name}");
            check_token(&field("id"), &entry.id)?;
            if !ids.insert(entry.id.clone()) {
                return Err(invalid(field("id"), "is used by two entries"));
            }
            check_token(&field("served_model_name"), &entry.served_model_name)?;
            if entry.name.trim().is_empty() {
                return Err(invalid(field("name"), "is empty"));
            }
            let nodes = match entry.nodes {
                1 | 2 => entry.nodes as u8,
                n => {
                    return Err(invalid(
                        field("nodes"),
                        format!("{n}: must be 1 (one Spark) or 2 (both, with Ray)"),
                    ))
                }
            };
            if !(entry.memory_gib.is_finite()
                && entry.memory_gib > 0.0
                && entry.memory_gib <= 1024.0)
            {
                return Err(invalid(
                    field("memory_gib"),
                    format!(
                        "{}: must be a size in GiB between 0 and 1024",
                        entry.memory_gib
                    ),
                ));
            }
            if !(10..=86_400).contains(&entry.ready_timeout_secs) {
                return Err(invalid(
                    field("ready_timeout_secs"),
                    format!("{}: must be 10 to 86400 seconds", entry.ready_timeout_secs),
                ));
            }
            let launch = match (entry.launch.container, entry.launch.recipe) {
                (Some(_), None) if nodes == 2 => {
                    return Err(invalid(
                        field("launch.container"),
                        "a model on two nodes is launched by a spark-vllm-docker recipe (`recipe: NAME`), which starts the Ray head and worker; container launches run on one node",
                    ))
                }
                (Some(c), None) => {
                    check_image(&field("launch.container.image"), &c.image)?;
                    if c.model.trim().is_empty() || c.model.chars().any(char::is_whitespace) {
                        return Err(invalid(
                            field("launch.container.model"),
                            format!("{:?} must be a model name without spaces", c.model),
                        ));
                    }
                    for (j, arg) in c.args.iter().enumerate() {
                        let flag = arg.split('=').next().unwrap_or_default();
                        if RESERVED_ARGS.contains(&flag) {
                            return Err(invalid(
                                field(&format!("launch.container.args[{j}]")),
                                format!("{flag} is set by the controller; remove it"),
                            ));
                        }
                        if arg.contains('\n') || arg.contains('\0') {
                            return Err(invalid(
                                field(&format!("launch.container.args[{j}]")),
                                "contains a newline or NUL",
                            ));
                        }
                    }
                    Launch::Container {
                        image: c.image,
                        model: c.model,
                        args: c.args,
                    }
                }
                (None, Some(recipe)) => {
                    check_recipe(&field("launch.recipe"), &recipe)?;
                    Launch::Recipe(recipe)
                }
                _ => {
                    return Err(invalid(
                        field("launch"),
                        "must have exactly one of `container` or `recipe`",
                    ))
                }
            };
            models.push(ModelEntry {
                id: entry.id,
                name: entry.name.trim().to_string(),
                purpose: entry.purpose.trim().to_string(),
                served_model_name: entry.served_model_name,
                nodes,
                memory_gib: entry.memory_gib,
                ready_timeout: Duration::from_secs(entry.ready_timeout_secs),
                launch,
            });
        }
        Ok(Catalog { models, recipe_dir })
    }

    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The entry serving `served_model_name`, if the catalog has one.
    pub fn by_served_name(&self, served: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.served_model_name == served)
    }
}

/// Identifiers: letters, digits, `.`, `-`, `_`, `/` (for `org/model`), 1–128 characters.
fn check_token(field: &str, value: &str) -> Result<(), ConfigError> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if ok {
        Ok(())
    } else {
        Err(invalid(field.to_string(), format!("{value:?} may only use letters, digits, '.', '-', '_' and '/' (and not start with '-')")))
    }
}

/// Recipe names, as the launcher finds them in its `recipes/` directory: letters, digits, `.`,
/// `-`, `_`; no path, no option (`--setup`), 1–128 characters.
fn check_recipe(field: &str, value: &str) -> Result<(), ConfigError> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && !value.starts_with(['-', '.'])
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field.to_string(),
            format!("{value:?} must be a recipe name: letters, digits, '.', '-' and '_', not starting with '-' or '.'"),
        ))
    }
}

/// A directory on the node: letters, digits, `.`, `-`, `_`, `/`. No `~` (a quoted `~` is not
/// expanded; write the path relative to the home directory instead) and no leading `-`.
fn check_dir(field: &str, value: &str) -> Result<String, ConfigError> {
    let ok = !value.is_empty()
        && value.len() <= 256
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(invalid(
            field.to_string(),
            format!("{value:?} must be a path of letters, digits, '.', '-', '_' and '/' (relative paths start at the SSH user's home; '~' is not expanded)"),
        ))
    }
}

/// Docker image references: `name[:tag][@digest]` with registry paths.
fn check_image(field: &str, value: &str) -> Result<(), ConfigError> {
    let ok = !value.is_empty()
        && value.len() <= 256
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':' | '@'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field.to_string(),
            format!("{value:?} is not a Docker image reference"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "models:\n  - id: m1\n    name: Model One\n    served_model_name: m1\n    nodes: 1\n    memory_gib: 40\n    ready_timeout_secs: 600\n    launch:\n      container:\n        image: vllm-node:latest\n        model: org/M1\n        args: [\"--max-model-len\", \"8192\"]\n";

    #[test]
    fn the_shipped_catalog_parses() {
        let catalog = Catalog::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models.yaml"
        )))
        .unwrap();
        assert!(catalog.models.len() >= 3);
        assert!(catalog.get("gpt-oss-120b").is_some());
        assert!(catalog
            .models
            .iter()
            .any(|m| matches!(m.launch, Launch::Recipe(_)) && m.nodes == 2));
    }

    #[test]
    fn recipe_names_and_the_recipe_dir_cannot_carry_options_or_shell_syntax() {
        let with = |recipe: &str, dir: Option<&str>| {
            let dir = dir.map_or(String::new(), |d| format!("recipe_dir: {d}\n"));
            Catalog::parse(&format!("{dir}models:\n  - id: m\n    name: M\n    served_model_name: m\n    nodes: 2\n    memory_gib: 40\n    ready_timeout_secs: 600\n    launch:\n      recipe: {recipe}\n"))
        };
        let ok = with("qwen3-235b-a22b-fp4", None).unwrap();
        assert_eq!(ok.recipe_dir, DEFAULT_RECIPE_DIR);
        assert_eq!(
            with("r1", Some("/opt/spark-vllm-docker/"))
                .unwrap()
                .recipe_dir,
            "/opt/spark-vllm-docker"
        );
        for hostile in [
            "--setup",
            "-n",
            "\"x; rm -rf /\"",
            "\"$(id)\"",
            "\"`id`\"",
            "../../etc/passwd",
            "recipes/r1",
            ".hidden",
            "\"a b\"",
            "\"\"",
        ] {
            match with(hostile, None) {
                Err(ConfigError::Invalid { field, .. }) => {
                    assert_eq!(field, "models[0] (m).launch.recipe", "{hostile}")
                }
                other => panic!("{hostile} was accepted: {other:?}"),
            }
        }
        for hostile in [
            "\"~/spark-vllm-docker\"",
            "--x",
            "\"a;b\"",
            "\"$HOME/x\"",
            "\"a b\"",
        ] {
            match with("r1", Some(hostile)) {
                Err(ConfigError::Invalid { field, .. }) => {
                    assert_eq!(field, "recipe_dir", "{hostile}")
                }
                other => panic!("{hostile} was accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn errors_name_the_entry_and_field() {
        let catalog = Catalog::parse(ENTRY).unwrap();
        assert_eq!(catalog.models[0].ready_timeout, Duration::from_secs(600));
        let cases = [
            (
                ENTRY.replace("nodes: 1", "nodes: 3"),
                "models[0] (m1).nodes",
            ),
            (
                ENTRY.replace("memory_gib: 40", "memory_gib: -1"),
                "models[0] (m1).memory_gib",
            ),
            (
                ENTRY.replace("image: vllm-node:latest", "image: \"x; rm -rf /\""),
                "models[0] (m1).launch.container.image",
            ),
            (
                ENTRY.replace("\"--max-model-len\", \"8192\"", "\"--port\", \"1\""),
                "models[0] (m1).launch.container.args[0]",
            ),
            (
                ENTRY.replace("served_model_name: m1", "served_model_name: \"$(id)\""),
                "models[0] (m1).served_model_name",
            ),
            (
                ENTRY.replace("      container:\n", "      recipe: r1\n      container:\n"),
                "models[0] (m1).launch",
            ),
        ];
        for (text, field) in cases {
            match Catalog::parse(&text) {
                Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected an error at {field}, got {other:?}"),
            }
        }
        let recipe = |name: &str| {
            ENTRY.replace(
                "      container:\n        image: vllm-node:latest\n        model: org/M1\n        args: [\"--max-model-len\", \"8192\"]\n",
                &format!("      recipe: {name}\n"),
            )
        };
        assert_eq!(
            Catalog::parse(&recipe("qwen3-235b-a22b-fp4"))
                .unwrap()
                .models[0]
                .launch,
            Launch::Recipe("qwen3-235b-a22b-fp4".into())
        );
        let two_node_container = ENTRY.replace("nodes: 1", "nodes: 2");
        let err = Catalog::parse(&two_node_container).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { field, problem } if field == "models[0] (m1).launch.container" && problem.contains("recipe")),
            "{err}"
        );
        let twice = format!("{ENTRY}{}", ENTRY.trim_start_matches("models:\n"));
        assert!(Catalog::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("used by two entries"));
    }
}
