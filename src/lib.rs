//! The `fedcm` command line: scenario files, the linter, and the drivers
//! around the sans-IO model in `fedcm-model`.

pub mod browser;
pub mod driver;
pub mod escape;
pub mod generations;
pub mod input;
pub mod lint;
pub mod output;
pub mod probe;
pub mod render;
pub mod scenario;
pub mod serve;
pub mod transport;
