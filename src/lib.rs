pub mod config;
pub mod engine;
pub mod identity;
pub mod store;
