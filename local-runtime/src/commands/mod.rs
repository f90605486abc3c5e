//! The operator commands of the `scalelite` binary, working on whatever store the configuration names.

pub mod config;
pub mod meetings;
pub mod recordings;
pub mod servers;
pub mod sign;
pub mod status;
pub mod sync;
pub mod tenant_tasks;
pub mod tenants;

use std::io::{BufRead, Write};

/// Asks `question` on the terminal; true only for `yes`. `assume_yes` (`--yes`) skips the question.
pub fn confirm(question: &str, assume_yes: bool) -> bool {
    if assume_yes {
        return true;
    }
    print!("{question} Type 'yes' to continue: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}
