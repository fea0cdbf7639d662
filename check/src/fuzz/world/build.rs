//! Building the world: documents from templates and mutations, responses
//! from their bytes, the browser's state.

use super::tables::{cached_templates, Template, NETWORK_ERROR};
use super::*;

fn text(t: &Text) -> String {
    match t {
        Text::Known(i) => STRINGS[usize::from(*i) % STRINGS.len()].to_string(),
        Text::Raw(s) => s.chars().take(64).collect(),
        Text::Repeat(n) => "x".repeat(usize::from(*n)),
    }
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Text(t) => Value::String(text(t)),
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(*b),
        Scalar::Int(n) => json!(n),
        Scalar::Float(i) => json!(FLOATS[usize::from(*i) % FLOATS.len()]),
        Scalar::EmptyArray => json!([]),
        Scalar::EmptyObject => json!({}),
        Scalar::Texts(ts) => Value::Array(ts.iter().take(8).map(|t| Value::String(text(t))).collect()),
    }
}

fn key(k: &Key) -> String {
    match k {
        Key::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_string(),
        Key::Raw(s) => s.chars().take(32).collect(),
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn node(v: &mut Value, n: usize) -> &mut Value {
    // Find the path first, then walk it: no borrow is held across the search.
    let path = path_to(v, n);
    let mut cur = v;
    for step in path {
        cur = match (cur, step) {
            (Value::Array(a), Step2::Index(i)) => &mut a[i],
            (Value::Object(o), Step2::Key(k)) => o.get_mut(&k).expect("the key was just seen"),
            _ => unreachable!("the path was computed on this tree"),
        };
    }
    cur
}

enum Step2 {
    Index(usize),
    Key(String),
}

fn path_to(v: &Value, n: usize) -> Vec<Step2> {
    fn go(v: &Value, i: &mut usize, path: &mut Vec<Step2>) -> bool {
        if *i == 0 {
            return true;
        }
        *i -= 1;
        match v {
            Value::Array(a) => {
                for (j, x) in a.iter().enumerate() {
                    path.push(Step2::Index(j));
                    if go(x, i, path) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            Value::Object(o) => {
                for (k, x) in o {
                    path.push(Step2::Key(k.clone()));
                    if go(x, i, path) {
                        return true;
                    }
                    path.pop();
                }
                false
            }
            _ => false,
        }
    }
    let mut path = Vec::new();
    let mut i = n;
    go(v, &mut i, &mut path);
    path
}

fn mutate(v: &mut Value, m: &Mutation) {
    let n = usize::from(m.node) % count(v);
    let target = node(v, n);
    match &m.op {
        Op::Replace(s) => *target = scalar(s),
        Op::Set { key: k, value } => match target {
            Value::Object(o) => {
                o.insert(key(k), scalar(value));
            }
            Value::Array(a) => a.push(scalar(value)),
            other => *other = scalar(value),
        },
        Op::RemoveChild(i) => match target {
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(usize::from(*i) % o.len()).cloned().unwrap_or_default();
                o.remove(&k);
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(usize::from(*i) % a.len());
            }
            _ => {}
        },
        Op::RepeatChild(i) => match target {
            Value::Array(a) if !a.is_empty() => {
                let x = a[usize::from(*i) % a.len()].clone();
                a.push(x);
            }
            Value::Object(o) if !o.is_empty() => {
                // Objects cannot repeat a key: copy a member under a new name.
                let (k, x) = o.iter().nth(usize::from(*i) % o.len()).map(|(k, x)| (k.clone(), x.clone())).unwrap();
                o.insert(format!("{k}_"), x);
            }
            _ => {}
        },
        Op::Stringify => *target = Value::String(target.to_string()),
        Op::WrapInArray => *target = Value::Array(vec![target.take()]),
        Op::Empty => match target {
            Value::Object(o) => o.clear(),
            Value::Array(a) => a.clear(),
            Value::String(s) => s.clear(),
            other => *other = Value::Null,
        },
    }
}

impl Doc {
    /// The template with the mutations applied.
    pub fn build(&self, templates: &[Value]) -> Value {
        let mut v = templates[usize::from(self.template) % templates.len()].clone();
        for m in self.mutations.iter().take(MAX_MUTATIONS) {
            mutate(&mut v, m);
        }
        v
    }

    /// As [`Doc::build`], from cached templates.
    fn build_cached(&self, templates: &[Template]) -> Value {
        let mut v = templates[usize::from(self.template) % templates.len()].value.clone();
        for m in self.mutations.iter().take(MAX_MUTATIONS) {
            mutate(&mut v, m);
        }
        v
    }

    /// `to_bytes(&self.build(..))`: without mutations, the template's
    /// bytes as serialized once (the same bytes), with no tree cloned.
    fn bytes(&self, templates: &[Template]) -> Vec<u8> {
        if self.mutations.is_empty() {
            return templates[usize::from(self.template) % templates.len()].bytes.clone();
        }
        to_bytes(&self.build_cached(templates))
    }
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

const LIMIT: usize = 1024 * 1024;

/// Bodies the harness may build: past the model's limit (to test it), but
/// not by more than a few MiB, so a fuzz run measures the model's memory,
/// not the harness's.
pub const MAX_BODY: usize = 16 * LIMIT;

fn body(b: &Body, templates: &[Template]) -> Vec<u8> {
    let out = unbounded_body(b, templates);
    assert!(out.len() <= MAX_BODY, "the harness built a {} byte body", out.len());
    out
}

fn unbounded_body(b: &Body, templates: &[Template]) -> Vec<u8> {
    match b {
        Body::Template(doc) => doc.bytes(templates),
        Body::Raw(bytes) => bytes[..bytes.len().min(4096)].to_vec(),
        Body::Nasty(n) => match n {
            Nasty::DeepArray(depth) => vec![b'['; usize::from(*depth)],
            Nasty::DeepTemplate(depth, doc) => {
                let depth = usize::from(*depth).min(200);
                let mut out = Vec::new();
                for i in 0..depth {
                    out.extend_from_slice(if i % 2 == 0 { b"[" } else { b"{\"accounts\":" });
                }
                out.extend(doc.bytes(templates));
                for i in (0..depth).rev() {
                    out.push(if i % 2 == 0 { b']' } else { b'}' });
                }
                out
            }
            Nasty::ManyElements(n, doc) => many_elements(usize::from(*n), doc.build_cached(templates)),
            Nasty::Padded(extra, doc) => {
                let mut out = doc.bytes(templates);
                let target = (LIMIT + usize::from(*extra)).max(out.len());
                out.resize(target, b' ');
                out
            }
            Nasty::Bom(doc) => {
                let mut out = "\u{feff}".as_bytes().to_vec();
                out.extend(doc.bytes(templates));
                out
            }
            Nasty::InvalidUtf8(doc) => splice_first_string(doc.bytes(templates), b"\xff"),
            Nasty::LoneSurrogate(doc) => splice_first_string(doc.bytes(templates), b"\\ud800"),
            Nasty::DuplicateKey(value, doc) => {
                let v = doc.build_cached(templates);
                let text = to_bytes(&v);
                match v.as_object().and_then(|o| o.keys().next()) {
                    // `{"k":X,...}` becomes `{"k":VALUE,"k":X,...}`.
                    Some(k) => {
                        let mut out = format!("{{{}:{},", Value::String(k.clone()), scalar(value)).into_bytes();
                        out.extend_from_slice(&text[1..]);
                        out
                    }
                    None => text,
                }
            }
        },
    }
}

/// The first array in pre-order.
fn first_array(v: &mut Value) -> Option<&mut Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.values_mut().find_map(first_array),
        _ => None,
    }
}

/// How many copies of the first element [`Nasty::ManyElements`] appends:
/// enough to pass the body limit by one, never more (60,000 copies of a
/// 56 KB account would be 3 GB of harness, not a test of the model).
fn copies(n: usize, element_len: usize) -> usize {
    n.min(LIMIT / (element_len + 1) + 2)
}

/// [`Nasty::ManyElements`] as first written: the copies appended to the
/// tree, the tree serialized. Kept to check [`many_elements`] against.
#[cfg(test)]
fn many_elements_by_tree(n: usize, mut v: Value) -> Vec<u8> {
    if let Some(a) = first_array(&mut v) {
        let x = a.first().cloned().unwrap_or(Value::Null);
        let copies = copies(n, to_bytes(&x).len());
        a.extend(std::iter::repeat_n(x, copies));
    }
    to_bytes(&v)
}

/// The bytes of `v` with `n` copies (at most [`copies`]) of its first
/// array's first element (`null` if it has none) appended to that array:
/// the bytes [`many_elements_by_tree`] gives, without serializing up to a
/// MiB of copies node by node (that was a tenth of the `flow` target's
/// time). One placeholder string goes where the copies go; the tree is
/// serialized once, and the placeholder's bytes are replaced by the
/// element's bytes, comma-separated (serde_json's compact form puts
/// nothing else between array elements). If the placeholder's bytes occur
/// anywhere else, the tree is serialized with the copies in it instead.
fn many_elements(n: usize, mut v: Value) -> Vec<u8> {
    const PLACEHOLDER: &str = "\u{0}fedcm-fuzz-copies\u{0}";
    let Some(a) = first_array(&mut v) else { return to_bytes(&v) };
    let x = a.first().cloned().unwrap_or(Value::Null);
    let element = to_bytes(&x);
    let copies = copies(n, element.len());
    if copies == 0 {
        return to_bytes(&v);
    }
    a.push(Value::String(PLACEHOLDER.to_string()));
    let with_placeholder = to_bytes(&v);
    let placeholder = to_bytes(&Value::String(PLACEHOLDER.to_string()));
    let find = |from: usize| {
        with_placeholder.get(from..).and_then(|rest| rest.windows(placeholder.len()).position(|w| w == placeholder))
    };
    let at = match find(0) {
        Some(at) if find(at + 1).is_none() => at,
        _ => {
            if let Some(a) = first_array(&mut v) {
                a.pop();
                a.extend(std::iter::repeat_n(x, copies));
            }
            return to_bytes(&v);
        }
    };
    let mut out = Vec::with_capacity(with_placeholder.len() + copies * (element.len() + 1));
    out.extend_from_slice(&with_placeholder[..at]);
    for i in 0..copies {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&element);
    }
    out.extend_from_slice(&with_placeholder[at + placeholder.len()..]);
    out
}

/// Inserts `bytes` right after the first string's opening quote.
fn splice_first_string(mut text: Vec<u8>, bytes: &[u8]) -> Vec<u8> {
    if let Some(i) = text.iter().position(|&b| b == b'"') {
        text.splice(i + 1..i + 1, bytes.iter().copied());
    }
    text
}

impl Response {
    /// The response IdP `idp` (an index into [`IDPS`]) sends for `kind`.
    pub(super) fn build(&self, kind: FetchKind, idp: usize) -> FetchResult {
        let status = match self.status {
            0..=159 => 200,
            s => STATUSES[usize::from(s - 160) % STATUSES.len()],
        };
        if status == NETWORK_ERROR {
            return Err(NetworkError::new("connection reset"));
        }
        let mut headers = Vec::new();
        let content_type = match self.content_type {
            0..=199 => Some("application/json"),
            c => CONTENT_TYPES[usize::from(c - 200) % CONTENT_TYPES.len()],
        };
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
        let (acao, acac) = match self.cors {
            0..=199 => (Some(RP), Some("true")),
            c => CORS[usize::from(c - 200) % CORS.len()],
        };
        if let Some(v) = acao {
            headers.push(("Access-Control-Allow-Origin".to_string(), v.to_string()));
        }
        if let Some(v) = acac {
            headers.push(("Access-Control-Allow-Credentials".to_string(), v.to_string()));
        }
        if (300..400).contains(&status) {
            let location = LOCATIONS[usize::from(self.location) % LOCATIONS.len()];
            headers.push(("Location".to_string(), location.to_string()));
        }
        Ok(HttpResponse { status, headers, body: body(&self.body, cached_templates(kind, idp)) })
    }
}

impl Browser {
    pub(super) fn build(&self) -> BrowserState {
        let mut browser = BrowserState { transient_activation: !self.no_transient_activation, ..Default::default() };
        for (idp, s) in IDPS.iter().zip(self.login_status) {
            let status = [LoginStatus::LoggedIn, LoginStatus::LoggedOut, LoginStatus::Unknown][usize::from(s % 3)];
            browser.set_login_status(idp, status);
        }
        let embedder = self.embedder();
        for (idp, account) in self.connected.iter().take(8) {
            browser.connect(Connection {
                embedder: embedder.to_string(),
                rp: RP.to_string(),
                idp: IDPS[usize::from(*idp) % IDPS.len()].to_string(),
                account: ACCOUNT_IDS[usize::from(*account) % ACCOUNT_IDS.len()].to_string(),
            });
        }
        if self.requires_user_mediation {
            browser.requires_user_mediation.insert(RP.to_string());
        }
        browser
    }

    pub(super) fn embedder(&self) -> &'static str {
        match self.embedder % 3 {
            0 => RP,
            1 => "https://top.example",
            _ => "https://www.rp.example",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::KINDS;
    use super::*;

    /// The cached templates are [`templates`] and their bytes, so a
    /// response is the one the uncached harness built.
    #[test]
    fn cached_templates_are_the_templates() {
        for (i, origin) in IDPS.iter().enumerate() {
            for kind in KINDS {
                let fresh = templates(kind, origin);
                let cached = cached_templates(kind, i);
                assert_eq!(fresh.len(), cached.len());
                for (f, c) in fresh.iter().zip(cached) {
                    assert_eq!(f, &c.value);
                    assert_eq!(to_bytes(f), c.bytes);
                }
            }
        }
        assert_eq!(super::super::cached_options_templates(), options_templates().as_slice());
    }

    /// [`many_elements`] gives the bytes of the tree with the copies in
    /// it: for every template, for counts from none to past the limit, and
    /// when the placeholder's bytes already occur in the document.
    #[test]
    fn many_elements_bytes_are_the_tree_with_copies() {
        let mut docs: Vec<Value> = vec![json!([]), json!({"a": 1}), json!("x"), json!({"k": [], "l": [1]})];
        for (i, _) in IDPS.iter().enumerate() {
            for kind in KINDS {
                docs.extend(cached_templates(kind, i).iter().map(|t| t.value.clone()));
            }
        }
        // The placeholder inside the document: the slow path.
        docs.push(json!({"accounts": [{"id": "\u{0}fedcm-fuzz-copies\u{0}"}]}));
        for (i, v) in docs.iter().enumerate() {
            // Past the limit (a MiB each, slow in a debug build): a few documents.
            let counts: &[usize] = if i % 8 == 0 { &[0, 1, 2, 7, 300, 65_535] } else { &[0, 1, 2, 7, 300] };
            for &n in counts {
                assert_eq!(many_elements(n, v.clone()), many_elements_by_tree(n, v.clone()), "{n} copies in {v}");
            }
        }
    }

    /// A document's bytes, with and without mutations, are those of the
    /// tree it builds.
    #[test]
    fn doc_bytes_are_the_built_tree() {
        let mutations = vec![
            Mutation { node: 3, op: Op::Stringify },
            Mutation { node: 1, op: Op::Set { key: Key::Known(2), value: Scalar::Float(3) } },
        ];
        for (i, origin) in IDPS.iter().enumerate() {
            for kind in KINDS {
                let fresh = templates(kind, origin);
                for template in 0..=7u8 {
                    for mutations in [Vec::new(), mutations.clone()] {
                        let doc = Doc { template, mutations };
                        let cached = cached_templates(kind, i);
                        assert_eq!(doc.bytes(cached), to_bytes(&doc.build(&fresh)));
                        assert_eq!(doc.build_cached(cached), doc.build(&fresh));
                    }
                }
            }
        }
    }
}
