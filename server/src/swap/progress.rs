//! Reads a loading vLLM's log to tell which phase it is in and how far weight loading got.

use app::swap::SwapPhase;

/// The phase and loading percentage the log's last lines show; `None` when they show nothing
/// recognisable yet.
pub fn from_log(lines: &[String]) -> Option<(SwapPhase, Option<f64>)> {
    for line in lines.iter().rev() {
        if line.contains("Starting vLLM API server")
            || line.contains("Application startup complete")
            || line.contains("init engine")
            || line.contains("KV cache")
            || line.contains("CUDA graph")
        {
            return Some((SwapPhase::WarmingUp, Some(100.0)));
        }
        if line.contains("Loading safetensors checkpoint shards")
            || line.contains("Loading pt checkpoint shards")
        {
            return Some((SwapPhase::Loading, percent(line)));
        }
        if line.contains("Loading weights took") || line.contains("Model loading took") {
            return Some((SwapPhase::WarmingUp, Some(100.0)));
        }
        if line.contains("Downloading") || line.contains(".safetensors:") {
            return Some((SwapPhase::Downloading, percent(line)));
        }
        if line.contains("Starting to load model") {
            return Some((SwapPhase::Loading, Some(0.0)));
        }
    }
    None
}

/// The first `NN%` in a line.
fn percent(line: &str) -> Option<f64> {
    let end = line.find('%')?;
    let start = line[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    line[start..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn reads_vllm_loading_lines() {
        let log = lines("INFO 11-28 01:00:00 [gpu_model_runner.py:2602] Starting to load model org/M...\nLoading safetensors checkpoint shards:  62% Completed | 5/8 [00:05<00:03, 1.00s/it]");
        assert_eq!(from_log(&log), Some((SwapPhase::Loading, Some(62.0))));
        let log = lines("Loading safetensors checkpoint shards: 100% Completed | 8/8\nINFO [core.py:210] init engine (profile, create kv cache, warmup model) took 3.1 seconds");
        assert_eq!(from_log(&log), Some((SwapPhase::WarmingUp, Some(100.0))));
        let log = lines("model-00001-of-00008.safetensors:  37%|███▋      | 1.8G/4.9G");
        assert_eq!(from_log(&log), Some((SwapPhase::Downloading, Some(37.0))));
        assert_eq!(
            from_log(&lines("INFO Automatically detected platform cuda.")),
            None
        );
    }
}
