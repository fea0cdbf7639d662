//! Bounded reads of the CLI's inputs. Every file, standard input and
//! device is read up to its limit plus one byte and no further, so
//! `yes | fedcm lint -` and `fedcm run /dev/zero` stop in bounded memory
//! with a typed error instead of reading forever.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

/// Largest scenario file `fedcm run`, `serve` and `probe --scenario` read:
/// room for several IdP documents at the 1 MiB body limit. Parsed, a
/// scenario of dense small values can take about 30 times its size (some
/// 250 MB at the cap), which is why the cap is not higher.
pub const MAX_SCENARIO_BYTES: usize = 8 * 1024 * 1024;

/// Largest RP request options `fedcm lint --kind request` reads. Real
/// options are a few hundred bytes; IdP documents have the browsers' 1 MiB
/// body limit instead, which the model itself reports.
pub const MAX_REQUEST_OPTIONS_BYTES: usize = 1024 * 1024;

/// Why an input could not be read. The message leaves out which input:
/// callers put its name in front.
#[derive(Debug)]
pub enum InputError {
    /// The file could not be opened or read.
    Io(io::Error),
    /// The input is larger than the limit for what it is.
    TooLarge { what: &'static str, limit: usize },
    /// The input is not UTF-8 text where text is required.
    NotUtf8 { what: &'static str },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io(source) => write!(f, "cannot read: {source}"),
            InputError::TooLarge { what, limit } => {
                write!(f, "a {what} may be at most {limit} bytes")?;
                if limit % (1024 * 1024) == 0 {
                    write!(f, " ({} MiB)", limit / (1024 * 1024))?;
                }
                write!(f, "; reading stopped there")
            }
            InputError::NotUtf8 { what } => write!(f, "a {what} must be UTF-8 text"),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::Io(source) => Some(source),
            _ => None,
        }
    }
}

/// What a bounded read returned.
#[derive(Debug)]
pub struct Bounded {
    /// At most `limit + 1` bytes: one more than the limit shows the input
    /// was too large without reading the rest.
    pub bytes: Vec<u8>,
    pub truncated: bool,
}

/// Reads at most `limit + 1` bytes of `path` (`-`: standard input).
pub fn read_at_most(path: &Path, limit: usize) -> Result<Bounded, InputError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin().lock().take(cap).read_to_end(&mut bytes).map_err(InputError::Io)?;
    } else {
        let file = std::fs::File::open(path).map_err(InputError::Io)?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(InputError::Io(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
        }
        file.take(cap).read_to_end(&mut bytes).map_err(InputError::Io)?;
    }
    let truncated = bytes.len() > limit;
    Ok(Bounded { bytes, truncated })
}

/// Reads a whole input of at most `limit` bytes, or says why not.
pub fn read_bytes(path: &Path, limit: usize, what: &'static str) -> Result<Vec<u8>, InputError> {
    let read = read_at_most(path, limit)?;
    if read.truncated {
        return Err(InputError::TooLarge { what, limit });
    }
    Ok(read.bytes)
}

/// Reads a whole text input of at most `limit` bytes, or says why not.
pub fn read_text(path: &Path, limit: usize, what: &'static str) -> Result<String, InputError> {
    String::from_utf8(read_bytes(path, limit, what)?).map_err(|_| InputError::NotUtf8 { what })
}

/// Reads a scenario file (bounded by [`MAX_SCENARIO_BYTES`]).
pub fn read_scenario(path: &Path) -> Result<String, InputError> {
    read_text(path, MAX_SCENARIO_BYTES, "scenario file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_read_only_to_the_limit() {
        let read = read_at_most(Path::new("/dev/zero"), 1000).unwrap();
        assert_eq!(read.bytes.len(), 1001);
        assert!(read.truncated);
        let err = read_text(Path::new("/dev/zero"), 1000, "scenario file").unwrap_err();
        assert!(matches!(err, InputError::TooLarge { limit: 1000, .. }), "{err}");
        assert!(err.to_string().contains("at most 1000 bytes"), "{err}");
    }

    #[test]
    fn a_directory_is_an_error_not_an_empty_input() {
        let err = read_at_most(Path::new("/"), 10).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
    }

    #[test]
    fn a_small_file_is_read_whole() {
        let path = std::env::temp_dir().join(format!("fedcm-input-{}.json", std::process::id()));
        std::fs::write(&path, b"{}").unwrap();
        let read = read_at_most(&path, 2).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(read.bytes, b"{}");
        assert!(!read.truncated);
    }
}
