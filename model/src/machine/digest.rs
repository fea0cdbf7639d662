//! A value the machine holds unchanged once set, which the model checker's
//! state key names by a digest instead of its whole text.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// An IdP document (a config, client metadata, an accounts list) kept as
/// parsed. The model checker hashes every state's future key
/// ([`super::Flow::hash_future_key`]), and hashing (once, writing) a whole
/// config for every state cost it more than the transitions. This
/// `Debug` writes, and this `Hash` hashes, a 64-bit digest of the value
/// (its own `Hash`, which agrees with its `==`) instead, made the first
/// time it is asked for: two keys still agree exactly when the values do,
/// up to a digest collision (the state fingerprint is a 64-bit hash
/// already); hashing the value's `Debug` text cost as much as parsing the
/// document again. Everything else reads the value through `Deref`; nothing
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

impl<T: Hash> Digested<T> {
    fn digest(&self) -> u64 {
        *self.0.digest.get_or_init(|| {
            // Fixed keys: the same digest in every run of a build, so a
            // search is repeatable (shards merge counts, not digests).
            let mut hasher = DefaultHasher::new();
            self.0.value.hash(&mut hasher);
            hasher.finish()
        })
    }
}

impl<T: Hash> fmt::Debug for Digested<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:016x}", self.digest())
    }
}

/// The digest, as `Debug` writes it: [`super::Flow::hash_future_key`]
/// hashes what the text key shows.
impl<T: Hash> Hash for Digested<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_a_digest_and_different_ones_do_not() {
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
