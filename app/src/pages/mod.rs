//! One module per page; each holds its server functions beside the components that call them.

pub mod chat;
pub mod health;
pub mod models;
pub mod overview;
pub mod privacy;
