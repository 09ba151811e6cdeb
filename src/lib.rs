pub mod config;
pub mod engine;
