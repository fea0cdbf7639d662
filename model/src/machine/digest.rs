//! A value the machine holds unchanged once set, which the model checker's
//! state key names by a digest instead of its whole text.

use std::fmt::{self, Write as _};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// An IdP document (a config, client metadata, an accounts list) kept as
/// parsed. The model checker hashes every state's future key
/// ([`super::Flow::hash_future_key`]), and hashing (once, writing) a whole
/// config for every state cost it more than the transitions. This
/// `Debug` writes, and this `Hash` hashes, a 64-bit digest of the value's
/// own `Debug` text instead, made the first time it is asked for: two
/// keys still agree exactly when the texts do, up to a digest collision
/// (the state fingerprint is a 64-bit hash already). Everything else reads the value through `Deref`; nothing
/// changes it in place, so the digest cannot go stale. The value and its
/// digest are shared by every clone (the model checker clones a flow for
/// every move), so a clone copies no document and the digest is made once.
pub(crate) struct Digested<T>(Arc<Inner<T>>);

struct Inner<T> {
    value: T,
    digest: OnceLock<u64>,
}

impl<T> Digested<T> {
    pub(crate) fn new(value: T) -> Digested<T> {
        Digested(Arc::new(Inner { value, digest: OnceLock::new() }))
    }
}

impl<T> Clone for Digested<T> {
    fn clone(&self) -> Digested<T> {
        Digested(Arc::clone(&self.0))
    }
}

impl<T> Deref for Digested<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: PartialEq> PartialEq for Digested<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.value == other.0.value
    }
}

impl<T: fmt::Debug> Digested<T> {
    fn digest(&self) -> u64 {
        *self.0.digest.get_or_init(|| {
            let mut w = HashWriter(DefaultHasher::new());
            // Writing into a hasher cannot fail.
            let _ = write!(w, "{:?}", self.0.value);
            w.0.finish()
        })
    }
}

impl<T: fmt::Debug> fmt::Debug for Digested<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:016x}", self.digest())
    }
}

/// The digest, as `Debug` writes it: [`super::Flow::hash_future_key`]
/// hashes what the text key shows.
impl<T: fmt::Debug> Hash for Digested<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest());
    }
}

/// `fmt::Write` into a hasher, so the text is never built.
struct HashWriter(DefaultHasher);

impl fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_a_digest_and_different_ones_do_not() {
        let a = Digested::new(vec!["https://idp.example/accounts"]);
        let b = Digested::new(vec!["https://idp.example/accounts"]);
        let c = Digested::new(vec!["https://idp.example/account"]);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
        // A clone carries the digest made before it.
        assert_eq!(format!("{:?}", a.clone()), format!("{a:?}"));
        assert_eq!(*a, vec!["https://idp.example/accounts"]);
    }
}
