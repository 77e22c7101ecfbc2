//! What a model swap looks like from outside: its phases and progress, as the dashboard and
//! `GET /api/swap` show them. Shared by the server (which produces them) and the browser.

use serde::{Deserialize, Serialize};

/// Where a swap is. The happy path runs `checking → stopping → starting → (downloading) →
/// loading → warming_up → ready`; a failure after the old model stopped goes through
/// `rolling_back` to `rolled_back` (old model serving again) or `failed`. A swap cut off by a
/// restart of the controller is found unfinished at the next start and ends `interrupted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapPhase {
    /// A dry run: the commands that would run, nothing done.
    Planned,
    Checking,
    Stopping,
    Starting,
    Downloading,
    Loading,
    WarmingUp,
    Ready,
    RollingBack,
    RolledBack,
    Failed,
    /// The controller stopped during the swap; found and closed at its next start.
    Interrupted,
}

impl SwapPhase {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Planned | Self::Ready | Self::RolledBack | Self::Failed | Self::Interrupted
        )
    }

    /// Words for the owner.
    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "Planned (dry run)",
            Self::Checking => "Checking memory and the running model",
            Self::Stopping => "Stopping the current model",
            Self::Starting => "Starting the new model",
            Self::Downloading => "Downloading weights",
            Self::Loading => "Loading weights",
            Self::WarmingUp => "Warming up",
            Self::Ready => "Ready",
            Self::RollingBack => "Rolling back to the previous model",
            Self::RolledBack => "Rolled back",
            Self::Failed => "Failed",
            Self::Interrupted => "Interrupted by a controller restart",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseMark {
    pub phase: SwapPhase,
    pub at_ms: u64,
}

/// One swap, running or finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwapStatus {
    pub id: u64,
    /// Catalog id of the model that was serving (if the catalog knows it).
    pub from_model: Option<String>,
    pub to_model: String,
    pub node: String,
    /// Who asked for the swap: `"dashboard"`, `"api"`, … (`None` when the caller did not say).
    #[serde(default)]
    pub requested_by: Option<String>,
    /// The address the request came from (the client's IP), when known.
    #[serde(default)]
    pub requested_from: Option<String>,
    pub phase: SwapPhase,
    /// Weight-loading progress, 0–100, when the logs say.
    pub percent: Option<f64>,
    pub started_at_ms: u64,
    pub finished_at_ms: Option<u64>,
    /// Seconds left, estimated from earlier swaps to the same model.
    pub eta_secs: Option<f64>,
    pub phases: Vec<PhaseMark>,
    /// The last lines of the new container's log.
    pub log_tail: Vec<String>,
    /// What is happening, in a sentence.
    pub message: String,
    pub error: Option<String>,
    pub dry_run: bool,
    /// The remote commands run (or, for a dry run, that would run), quoted as sent.
    pub commands: Vec<String>,
    /// A dry run: the containers the swap would stop (those running) and remove. Empty
    /// otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopping: Vec<PlannedStop>,
}

/// A container a swap would stop and remove, as a dry run found it on its node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedStop {
    pub node: String,
    pub container: String,
    pub image: String,
    /// Running now (it is stopped, then removed), or already stopped (only removed).
    pub running: bool,
}

impl SwapStatus {
    /// Whether the swap is still going (a finished one stays visible as the last swap).
    pub fn is_running(&self) -> bool {
        !self.phase.is_finished()
    }

    /// Whether this status may replace `shown` in a view: it is another swap, or the same one
    /// no earlier in its course. A status can arrive late (the answer to the start request
    /// after the event stream's first updates), and a progress bar must not step back.
    pub fn supersedes(&self, shown: &SwapStatus) -> bool {
        self.id != shown.id || self.phases.len() >= shown.phases.len()
    }

    /// Overall progress, 0–100, for a progress bar: each phase owns a slice of the bar and the
    /// weight-loading percentage (when the log reports it) fills the loading slice.
    pub fn overall_percent(&self) -> f64 {
        let loading = |from: f64, to: f64| from + (to - from) * self.percent.unwrap_or(0.0) / 100.0;
        match self.phase {
            SwapPhase::Planned | SwapPhase::Checking => 2.0,
            SwapPhase::Stopping => 8.0,
            SwapPhase::Starting => 15.0,
            SwapPhase::Downloading => 20.0,
            SwapPhase::Loading => loading(25.0, 90.0),
            SwapPhase::WarmingUp => 93.0,
            SwapPhase::RollingBack => 50.0,
            _ => 100.0,
        }
    }
}

/// A catalog entry as the dashboard and `GET /api/models` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogModel {
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub served_model_name: String,
    /// 1: one Spark; 2: both Sparks, with Ray.
    pub nodes: u8,
    pub memory_gib: f64,
    pub ready_timeout_secs: u64,
    /// `"container"` or `"recipe"`.
    pub launch: String,
    /// Whether vLLM serves this model right now.
    pub loaded: bool,
}

/// The catalog, what is loaded, and the running or last swap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelsOverview {
    /// The served model name vLLM reports, when it answers.
    pub loaded: Option<String>,
    pub models: Vec<CatalogModel>,
    pub swap: Option<SwapStatus>,
}

/// How long chat is expected to be unavailable during a swap, and what the guess rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Downtime {
    /// The median of earlier successful swaps to the same model.
    Measured { secs: u64, swaps: usize },
    /// No earlier swap to go by: only the catalog's limit is known.
    Unknown { limit_secs: u64 },
}

/// What a swap would do, said before anything happens, for the confirmation dialog and
/// `GET /api/swap/preview`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwapPreview {
    pub model: String,
    pub model_name: String,
    /// Display name of the model that would stop, if one is serving.
    pub stops: Option<String>,
    pub node: String,
    pub downtime: Downtime,
    /// Containers the swap stops or removes besides the model's own (`vllm`): on the model's
    /// node every container of a vLLM image is treated as a model and cleared, so a test
    /// server started there by hand stops too. The owner is told by name.
    #[serde(default)]
    pub also_stops: Vec<PlannedStop>,
    /// Services and nodes that keep running, e.g. `"parakeet on spark-2"`.
    pub unaffected: Vec<String>,
    /// What the owner is asked to confirm, in plain English, one sentence per line.
    pub sentences: Vec<String>,
}

impl SwapPreview {
    /// The confirmation sentences: what stops (the model, then any other container the swap
    /// clears), for how long chat is down, what is unaffected.
    pub fn explain(
        model_name: &str,
        stops: Option<&str>,
        node: &str,
        also_stops: &[PlannedStop],
        downtime: &Downtime,
        unaffected: &[String],
    ) -> Vec<String> {
        let what = match stops {
            Some(old) => {
                format!("{old} will stop on {node}, and {model_name} will start in its place.")
            }
            None => format!("No model is serving on {node} now; {model_name} will start there."),
        };
        let old = stops.unwrap_or("the previous model");
        let how_long = match downtime {
            Downtime::Measured { secs, swaps } => format!(
                "Chat will be unavailable for about {} (the typical time of {swaps} earlier swap{} to this model). Apps calling chat wait or get a “swap in progress” answer.",
                spoken_duration(*secs),
                if *swaps == 1 { "" } else { "s" }
            ),
            Downtime::Unknown { limit_secs } => format!(
                "Chat will be unavailable until {model_name} has loaded, usually a few minutes and at most {}. If it is not ready by then, {old} is started again.",
                spoken_duration(*limit_secs)
            ),
        };
        let rest = if unaffected.is_empty() {
            "Nothing else runs on the cluster.".to_string()
        } else {
            format!("Unaffected, they keep running: {}.", unaffected.join(", "))
        };
        let mut sentences = vec![what];
        sentences.extend(also_stopped(also_stops));
        sentences.extend([how_long, rest]);
        sentences
    }
}

/// "It also stops the container x (image i) on spark-1 and removes the stopped container y on
/// spark-1." — or nothing when the swap clears only the model's own container.
fn also_stopped(also: &[PlannedStop]) -> Option<String> {
    let list = |running: bool| -> Vec<String> {
        also.iter()
            .filter(|s| s.running == running)
            .map(|s| match running {
                true => format!("{} (image {}) on {}", s.container, s.image, s.node),
                false => format!("{} on {}", s.container, s.node),
            })
            .collect()
    };
    let (running, stopped) = (list(true), list(false));
    let containers = |n: usize| if n == 1 { "container" } else { "containers" };
    let stops = (!running.is_empty()).then(|| {
        format!(
            "stops the {} {}, to free the GPU memory",
            containers(running.len()),
            spoken_list(&running)
        )
    });
    let removes = (!stopped.is_empty()).then(|| {
        format!(
            "removes the stopped {} {}",
            containers(stopped.len()),
            spoken_list(&stopped)
        )
    });
    let both: Vec<String> = stops.into_iter().chain(removes).collect();
    (!both.is_empty()).then(|| format!("It also {}.", both.join(", and ")))
}

/// "a", "a and b", "a, b and c".
fn spoken_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "45 seconds", "about 4 minutes", "1 hour 10 minutes" — durations as people say them.
pub fn spoken_duration(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        0..=89 => plural(secs.max(1), "second"),
        90..=3599 => plural((secs + 30) / 60, "minute"),
        _ => {
            let (h, m) = (secs / 3600, (secs % 3600 + 30) / 60);
            if m == 0 {
                plural(h, "hour")
            } else {
                format!("{} {}", plural(h, "hour"), plural(m, "minute"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(id: u64, phases: &[SwapPhase]) -> SwapStatus {
        SwapStatus {
            id,
            from_model: None,
            to_model: "b".into(),
            node: "spark-1".into(),
            requested_by: None,
            requested_from: None,
            phase: *phases.last().unwrap_or(&SwapPhase::Planned),
            percent: None,
            started_at_ms: 0,
            finished_at_ms: None,
            eta_secs: None,
            phases: phases
                .iter()
                .map(|&phase| PhaseMark { phase, at_ms: 0 })
                .collect(),
            log_tail: vec![],
            message: String::new(),
            error: None,
            dry_run: false,
            commands: vec![],
            stopping: Vec::new(),
        }
    }

    #[test]
    fn a_late_status_of_the_same_swap_does_not_step_back() {
        let planned = status(7, &[SwapPhase::Planned]);
        let starting = status(
            7,
            &[SwapPhase::Planned, SwapPhase::Stopping, SwapPhase::Starting],
        );
        assert!(!planned.supersedes(&starting), "the start answer came late");
        assert!(starting.supersedes(&planned));
        assert!(starting.supersedes(&starting), "same phase, newer percent");
        assert!(
            status(8, &[SwapPhase::Planned]).supersedes(&starting),
            "a new swap"
        );
        assert!(planned.overall_percent() < starting.overall_percent());
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(spoken_duration(1), "1 second");
        assert_eq!(spoken_duration(45), "45 seconds");
        assert_eq!(spoken_duration(240), "4 minutes");
        assert_eq!(spoken_duration(60 * 15 + 10), "15 minutes");
        assert_eq!(spoken_duration(3600), "1 hour");
        assert_eq!(spoken_duration(3600 + 600), "1 hour 10 minutes");
    }

    #[test]
    fn the_confirmation_says_what_stops_how_long_and_what_is_unaffected() {
        let unaffected = vec!["parakeet on spark-2".to_string()];
        let text = SwapPreview::explain(
            "Qwen3 Coder",
            Some("GPT-OSS 120B"),
            "spark-1",
            &[],
            &Downtime::Measured {
                secs: 250,
                swaps: 3,
            },
            &unaffected,
        );
        assert_eq!(
            text[0],
            "GPT-OSS 120B will stop on spark-1, and Qwen3 Coder will start in its place."
        );
        assert!(
            text[1].contains("about 4 minutes") && text[1].contains("3 earlier swaps"),
            "{}",
            text[1]
        );
        assert_eq!(
            text[2],
            "Unaffected, they keep running: parakeet on spark-2."
        );

        let first = SwapPreview::explain(
            "Qwen3 Coder",
            None,
            "spark-1",
            &[],
            &Downtime::Unknown { limit_secs: 600 },
            &[],
        );
        assert!(first[0].starts_with("No model is serving on spark-1"));
        assert!(
            first[1].contains("at most 10 minutes") && first[1].contains("the previous model"),
            "{}",
            first[1]
        );
    }

    #[test]
    fn the_confirmation_names_every_other_container_the_swap_clears() {
        let stop = |container: &str, running: bool| PlannedStop {
            node: "spark-1".into(),
            container: container.into(),
            image: "vllm/vllm-openai:latest".into(),
            running,
        };
        let explain = |also: &[PlannedStop]| {
            SwapPreview::explain(
                "Qwen3 Coder",
                Some("GPT-OSS 120B"),
                "spark-1",
                also,
                &Downtime::Unknown { limit_secs: 600 },
                &[],
            )
        };
        assert_eq!(
            explain(&[]).len(),
            3,
            "only the model's container: nothing more to say"
        );
        assert_eq!(
            explain(&[stop("scratch", true)])[1],
            "It also stops the container scratch (image vllm/vllm-openai:latest) on spark-1, to free the GPU memory."
        );
        assert_eq!(
            explain(&[stop("a", true), stop("b", true), stop("old", false)])[1],
            "It also stops the containers a (image vllm/vllm-openai:latest) on spark-1 and b (image vllm/vllm-openai:latest) on spark-1, to free the GPU memory, and removes the stopped container old on spark-1."
        );
        assert_eq!(
            explain(&[stop("old", false), stop("older", false)])[1],
            "It also removes the stopped containers old on spark-1 and older on spark-1."
        );
    }

    #[test]
    fn the_bar_only_moves_forward_along_the_happy_path() {
        let mut status = SwapStatus {
            id: 1,
            from_model: None,
            to_model: "m".into(),
            node: "n".into(),
            requested_by: None,
            requested_from: None,
            phase: SwapPhase::Checking,
            percent: None,
            started_at_ms: 0,
            finished_at_ms: None,
            eta_secs: None,
            phases: vec![],
            log_tail: vec![],
            message: String::new(),
            error: None,
            dry_run: false,
            commands: vec![],
            stopping: Vec::new(),
        };
        let mut last = 0.0;
        for (phase, percent) in [
            (SwapPhase::Checking, None),
            (SwapPhase::Stopping, None),
            (SwapPhase::Starting, None),
            (SwapPhase::Downloading, None),
            (SwapPhase::Loading, Some(10.0)),
            (SwapPhase::Loading, Some(80.0)),
            (SwapPhase::WarmingUp, Some(100.0)),
            (SwapPhase::Ready, Some(100.0)),
        ] {
            status.phase = phase;
            status.percent = percent;
            let now = status.overall_percent();
            assert!(now > last, "{phase:?} {percent:?}: {now} after {last}");
            last = now;
        }
        assert_eq!(last, 100.0);
    }
}
