//! The browser's state that outlives one request: the Login Status map, the
//! connected accounts set, and the per-origin "requires user mediation"
//! flag (spec `#browser-connected-accounts-set`; Login Status API).

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// An IdP origin's entry in the Login Status map, as the IdP last set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum LoginStatus {
    /// Signed in: the IdP said so, or the accounts fetch returned accounts.
    LoggedIn,
    /// Signed out: the IdP said so, or the accounts fetch returned no usable
    /// account.
    LoggedOut,
    /// No entry in the map.
    Unknown,
}

/// One entry of the connected accounts set. The key has no `clientId`: two
/// RPs on one origin share it (spec ambiguity A43).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Connection {
    /// Origin of the top-level document (defaults to the RP's).
    pub embedder: String,
    /// Origin of the RP document that called `get()`.
    pub rp: String,
    /// Origin of the IdP's config URL.
    pub idp: String,
    /// The account's `id` at that IdP.
    pub account: String,
}

/// A connection's key, (embedder, rp, idp, account), borrowed: the set is
/// searched with one, so a lookup on the sign-in path builds no
/// `Connection` (four `String`s) just to compare it.
pub trait ConnectionKey {
    /// The four parts, in the set's order.
    fn parts(&self) -> (&str, &str, &str, &str);
}

impl ConnectionKey for Connection {
    fn parts(&self) -> (&str, &str, &str, &str) {
        (&self.embedder, &self.rp, &self.idp, &self.account)
    }
}

impl ConnectionKey for (&str, &str, &str, &str) {
    fn parts(&self) -> (&str, &str, &str, &str) {
        *self
    }
}

impl<'a> Borrow<dyn ConnectionKey + 'a> for Connection {
    fn borrow(&self) -> &(dyn ConnectionKey + 'a) {
        self
    }
}

// The key order is `Connection`'s derived order (fields in declaration
// order), as `Borrow` requires.
impl PartialEq for dyn ConnectionKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn ConnectionKey + '_ {}

impl PartialOrd for dyn ConnectionKey + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn ConnectionKey + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

/// The connected accounts set, each connection with when it was last used
/// (a count of uses, not a clock: the model has none). Chromium lists the
/// returning accounts most recently used first (decisions A60). It
/// serializes as a list, least recently used first, and a list read in
/// is taken as used in its order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Connections {
    used: BTreeMap<Connection, u64>,
    uses: u64,
}

impl Connections {
    /// A set lookup.
    pub fn contains(&self, c: &dyn ConnectionKey) -> bool {
        self.used.contains_key(c)
    }

    /// When `c` was last used, as a count that grows with each use.
    pub fn last_used(&self, c: &dyn ConnectionKey) -> Option<u64> {
        self.used.get(c).copied()
    }

    /// Adds `c`, or marks it used again; `false` when it was already there.
    pub fn insert(&mut self, c: Connection) -> bool {
        self.uses += 1;
        self.used.insert(c, self.uses).is_none()
    }

    /// Removes `c`; `false` when it was not there.
    pub fn remove(&mut self, c: &Connection) -> bool {
        self.used.remove(c).is_some()
    }

    /// Keeps the connections `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Connection) -> bool) {
        self.used.retain(|c, _| keep(c));
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.used.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.used.is_empty()
    }

    /// In key order: (embedder, rp, idp, account).
    pub fn iter(&self) -> impl Iterator<Item = &Connection> {
        self.used.keys()
    }

    /// Least recently used first.
    pub fn by_use(&self) -> Vec<&Connection> {
        let mut all: Vec<(&Connection, u64)> = self.used.iter().map(|(c, n)| (c, *n)).collect();
        all.sort_by_key(|(_, n)| *n);
        all.into_iter().map(|(c, _)| c).collect()
    }

    /// The first connection at or after `key`, in key order.
    fn first_from(&self, key: &dyn ConnectionKey) -> Option<&Connection> {
        use std::ops::Bound;
        self.used.range::<dyn ConnectionKey, _>((Bound::Included(key), Bound::Unbounded)).next().map(|(c, _)| c)
    }
}

impl FromIterator<Connection> for Connections {
    fn from_iter<I: IntoIterator<Item = Connection>>(iter: I) -> Connections {
        let mut set = Connections::default();
        for c in iter {
            set.insert(c);
        }
        set
    }
}

impl Serialize for Connections {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.by_use())
    }
}

impl<'de> Deserialize<'de> for Connections {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Connections, D::Error> {
        Vec::<Connection>::deserialize(d).map(|list| list.into_iter().collect())
    }
}

/// What the browser remembers between calls; the machine reads it at the start
/// and changes it as the spec says.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
pub struct BrowserState {
    /// IdP origin -> status; a missing origin is `unknown`.
    pub login_status: BTreeMap<String, LoginStatus>,
    /// Accounts the person has used with an RP (the connected accounts
    /// set), least recently used first.
    pub connections: Connections,
    /// RP origins that called `navigator.credentials.preventSilentAccess()`.
    /// The spec reads the flag of the IdP origin; WPT and Chromium key it by
    /// the RP (ambiguity A5), as the model does.
    pub requires_user_mediation: BTreeSet<String>,
    /// Whether the RP's document has transient user activation (needed by
    /// active mode).
    pub transient_activation: bool,
}

impl BrowserState {
    /// The Login Status of `idp_origin`; `Unknown` when unset.
    pub fn login_status(&self, idp_origin: &str) -> LoginStatus {
        self.login_status.get(idp_origin).copied().unwrap_or(LoginStatus::Unknown)
    }

    /// Sets the status; `Unknown` removes the entry.
    pub fn set_login_status(&mut self, idp_origin: &str, status: LoginStatus) {
        match status {
            LoginStatus::Unknown => self.login_status.remove(idp_origin),
            s => self.login_status.insert(idp_origin.to_string(), s),
        };
    }

    /// A set lookup, not a scan: the chooser asks this for every account.
    pub fn is_connected(&self, embedder: &str, rp: &str, idp: &str, account: &str) -> bool {
        self.connections.contains(&(embedder, rp, idp, account))
    }

    /// Whether any account of `idp` is connected to this RP. The set is
    /// ordered by (embedder, rp, idp, account) and `""` is the least
    /// account, so the first entry at or after that key decides.
    pub fn has_connection(&self, embedder: &str, rp: &str, idp: &str) -> bool {
        self.connections
            .first_from(&(embedder, rp, idp, ""))
            .is_some_and(|c| c.embedder == embedder && c.rp == rp && c.idp == idp)
    }

    /// Adds an entry; `false` when it was there already.
    pub fn connect(&mut self, connection: Connection) -> bool {
        self.connections.insert(connection)
    }

    /// Removes an entry; `false` when it was not there.
    pub fn disconnect(&mut self, connection: &Connection) -> bool {
        self.connections.remove(connection)
    }

    /// Removes every account of `idp` for this RP; returns how many.
    pub fn disconnect_all(&mut self, embedder: &str, rp: &str, idp: &str) -> usize {
        let before = self.connections.len();
        self.connections.retain(|c| !(c.embedder == embedder && c.rp == rp && c.idp == idp));
        before - self.connections.len()
    }
}
