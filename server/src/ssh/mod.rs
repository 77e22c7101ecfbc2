//! SSH to the nodes: the controller's identity ([`keys`]), host-key pinning ([`host_keys`]),
//! and one reused, self-healing connection per node ([`client`]).
//!
//! Commands are built from argument lists with [`command_line`], which quotes every argument
//! for a POSIX shell. Nothing else in the controller formats a remote command line, so no value
//! — from the catalog, the user or a node — can reach a remote shell unquoted.

pub mod client;
pub mod host_keys;
pub mod keys;

pub use client::{CommandOutput, SshClient, SshError, SshTarget};

/// Joins `argv` into one command line, each argument quoted for `sh`.
pub fn command_line<S: AsRef<str>>(argv: &[S]) -> String {
    shell_words::join(argv.iter().map(AsRef::as_ref))
}

#[cfg(test)]
mod tests {
    use super::command_line;

    #[test]
    fn every_argument_survives_a_shell_as_one_word() {
        let hostile = [
            "docker",
            "logs",
            "x; rm -rf /",
            "$(reboot)",
            "`id`",
            "a'b",
            "{{json .}}",
            "",
        ];
        let line = command_line(&hostile);
        assert_eq!(shell_words::split(&line).unwrap(), hostile);
        assert!(!line.contains("x; rm") || line.contains("'x; rm -rf /'"));
    }
}
