//! Server choice: tags, the least-loaded pick, load reservations and the health state machine.

pub mod choice;
pub mod health;
pub mod load;
pub mod tags;
