//! A value computed from others on first use and kept: a cache, not a fact.

use std::fmt;
use std::sync::OnceLock;

/// A lazily computed value derived from the fields beside it. It compares
/// equal, writes the same `Debug` text and hashes the same whether filled
/// or not, so a value holding one compares, prints and fingerprints (the
/// model checker's `Hash`) the same before and after a reader filled it.
pub(crate) struct Memo<T>(OnceLock<T>);

impl<T> Default for Memo<T> {
    fn default() -> Memo<T> {
        Memo(OnceLock::new())
    }
}

/// A clone starts empty: the explorer clones a flow for every move, and
/// carrying a filled cache would cost an allocation each time for a value
/// the clone can compute again if it needs it.
impl<T> Clone for Memo<T> {
    fn clone(&self) -> Memo<T> {
        Memo(OnceLock::new())
    }
}

impl<T> Memo<T> {
    pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(init)
    }
}

impl<T> PartialEq for Memo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Memo<T> {}

/// Nothing: like `Debug`, the same filled or not.
impl<T> std::hash::Hash for Memo<T> {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl<T> fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn filled_or_not_it_compares_and_prints_the_same() {
        let empty: Memo<String> = Memo::default();
        let filled: Memo<String> = Memo::default();
        assert_eq!(filled.get_or_init(|| "x".to_string()), "x");
        assert!(empty == filled);
        assert_eq!(format!("{empty:?}"), format!("{filled:?}"));
        // A clone computes again: it does not carry the value.
        assert_eq!(filled.clone().get_or_init(|| "y".to_string()), "y");
    }
}
