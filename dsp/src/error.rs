//! Errors with messages fit to show an artist.

use std::fmt;

/// Something about the input or request that the engine cannot work with.
#[derive(Clone, Debug, PartialEq)]
pub enum DspError {
    /// The audio file could not be read; the text says why.
    BadInput(String),
    /// The audio is valid but not supported (for example more than two channels).
    Unsupported(String),
    /// Settings or a target were out of range.
    BadSettings(String),
}

impl fmt::Display for DspError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DspError::BadInput(m) | DspError::Unsupported(m) | DspError::BadSettings(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for DspError {}
