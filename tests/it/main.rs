//! The integration tests, one module per area, in one binary so the crate is linked once.
//! Only `tests/logs.rs` runs apart: it captures the log lines of its whole process.

#[macro_use]
mod common;

mod account_page;
mod admin;
mod annual_report;
mod annual_report_counts;
mod architecture;
mod assistance;
mod assistance_pages;
mod audit;
mod auth;
mod authorization;
mod browser;
mod browser_exchange;
mod browser_report;
mod calendar;
mod cases;
mod checkpoints;
mod cli;
mod contract;
mod database;
mod deploy;
mod durability;
mod exports;
mod http;
mod imports;
mod incidents;
mod member_states;
mod proposals;
mod second_factor;
mod state_pages;
mod summary;
mod summary_figures;
mod summary_two_servers;
mod web;
