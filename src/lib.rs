//! hallq: the self-service kiosk and queue-ticket system of a citizen service hall. The
//! library behind the `hallq` binary: the queue engine and its log, the hall service and its
//! API, the web pages, the kiosk and display runtimes, and the installer's tools.

pub mod alerts;
pub mod api;
pub mod backup;
pub mod cli;
pub mod config;
pub mod conn;
pub mod demo;
pub mod desk;
pub mod devices;
pub mod digest;
pub mod display;
pub mod doctor;
pub mod documents;
pub mod engine;
pub mod identity;
pub mod kiosk;
pub mod metrics;
pub mod reports;
pub mod server;
pub mod service;
pub mod staff;
pub mod store;
pub mod tickets;
pub mod tls;
pub mod voice;
pub mod web;
