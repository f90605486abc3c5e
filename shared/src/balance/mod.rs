//! The balancing rules, pure: server choice, tags, load reservations, the health state machine, and the
//! planners that turn a store snapshot into a placement or a poll decision.

pub mod choice;
pub mod health;
pub mod load;
pub mod placement;
pub mod poll;
pub mod tags;
