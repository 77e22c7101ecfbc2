//! What a model swap looks like from outside: its phases and progress, as the dashboard and
//! `GET /api/swap` show them. Shared by the server (which produces them) and the browser.

use serde::{Deserialize, Serialize};

/// Where a swap is. The happy path runs `checking → stopping → starting → (downloading) →
/// loading → warming_up → ready`; a failure after the old model stopped goes through
/// `rolling_back` to `rolled_back` (old model serving again) or `failed`.
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
}

impl SwapPhase {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Planned | Self::Ready | Self::RolledBack | Self::Failed
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
}
