//! The balancing rules, pure: server choice, tags, which servers take joins and new meetings, load
//! reservations, the health state machine, tenants' limits, and the planners that turn a store snapshot into a placement, join
//! or poll decision.

pub mod choice;
pub mod eligibility;
pub mod health;
pub mod join;
pub mod load;
pub mod placement;
pub mod poll;
pub mod tags;
pub mod tenant;
