//! `fedcm browser`: a scenario run in a real Chromium and compared with the
//! model. The mock IdP serves the scenario over HTTPS (`serve --tls`),
//! Chromium is started headless with the scenario's hosts mapped to it,
//! and the DevTools protocol drives the call and answers its dialogs.
//! See docs/browser.md.

pub mod cdp;
pub mod chromium;
pub mod cli;
pub mod compare;
pub mod generate;
pub mod harness;
pub mod minimize;
pub mod plan;
pub mod prompts;
pub mod protocol;
pub mod session;
