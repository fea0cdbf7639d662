//! Running a world: the IdPs answer from it, the script drives the flow,
//! then the flow must settle, once.

use super::*;
use std::sync::Arc;

/// Which IdP serves a URL.
fn idp_of(url: &Url) -> Option<usize> {
    use std::sync::OnceLock;
    // The IdPs' origins, parsed once (not three URL parses per request).
    static ORIGINS: OnceLock<Vec<Option<url::Origin>>> = OnceLock::new();
    let origins = ORIGINS.get_or_init(|| IDPS.iter().map(|idp| Url::parse(idp).ok().map(|u| u.origin())).collect());
    let origin = url.origin();
    origins.iter().position(|o| o.as_ref() == Some(&origin))
}

/// Where a request's answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// A picture: a tiny PNG, whoever asks.
    Picture,
    /// Not an IdP document: [`not_found`].
    NotFound,
    /// IdP `.0`'s responses for this kind of document.
    Idp(usize, FetchKind),
}

/// Where the world's IdPs answer `request` from: by origin and document
/// kind, whatever the path (the well-known file only at its own path).
pub(super) fn source(request: &FetchRequest) -> Source {
    if request.kind == FetchKind::Picture {
        return Source::Picture;
    }
    let Some(i) = idp_of(&request.url) else { return Source::NotFound };
    match request.kind {
        FetchKind::WellKnown if request.url.path() == "/.well-known/web-identity" => Source::Idp(i, request.kind),
        FetchKind::Config | FetchKind::Accounts | FetchKind::ClientMetadata | FetchKind::Assertion => {
            Source::Idp(i, request.kind)
        }
        _ => Source::NotFound,
    }
}

/// The answer to what no IdP serves.
pub(super) fn not_found() -> HttpResponse {
    HttpResponse::json("{}").with_status(404).with_header("content-type", "text/html")
}

/// The answer to a picture request.
fn picture() -> HttpResponse {
    HttpResponse { status: 200, headers: vec![("content-type".into(), "image/png".into())], body: vec![0x89, b'P'] }
}

impl Idp {
    /// The responses served in turn for `kind` (at most [`MAX_RESPONSES`];
    /// none means the default response, repeated).
    pub(super) fn responses(&self, kind: FetchKind) -> &[Response] {
        let list = match kind {
            FetchKind::WellKnown => &self.well_known,
            FetchKind::Config => &self.config,
            FetchKind::Accounts => &self.accounts,
            FetchKind::ClientMetadata => &self.client_metadata,
            FetchKind::Assertion => &self.assertion,
            FetchKind::Picture | FetchKind::Disconnect => return &[],
        };
        &list[..list.len().min(MAX_RESPONSES)]
    }
}

/// Answers fetches from the world's IdPs, each URL's responses in turn.
pub(super) struct Server<'w> {
    pub(super) world: &'w World,
    pub(super) served: HashMap<(usize, FetchKind), usize>,
    /// Requests answered so far, for stray repeats.
    pub(super) answered: Vec<RequestId>,
    /// Responses built so far, by (IdP, kind, index in the list; `usize::MAX`
    /// for the default response): each is built once per run and sent as
    /// a copy (bodies above [`CACHED_BODY`] are rebuilt instead).
    built: HashMap<(usize, FetchKind, usize), FetchResult>,
}

/// The largest body [`Server`] keeps a copy of.
const CACHED_BODY: usize = 64 * 1024;

impl<'w> Server<'w> {
    pub(super) fn new(world: &'w World) -> Server<'w> {
        Server { world, served: HashMap::new(), answered: Vec::new(), built: HashMap::new() }
    }

    pub(super) fn respond(&mut self, request: &FetchRequest) -> FetchResult {
        let (i, kind) = match source(request) {
            Source::Picture => return Ok(picture()),
            Source::NotFound => return Ok(not_found()),
            Source::Idp(i, kind) => (i, kind),
        };
        let list = self.world.idps[i].responses(kind);
        let n = self.served.entry((i, kind)).or_insert(0);
        let index = if list.is_empty() { usize::MAX } else { (*n).min(list.len() - 1) };
        *n += 1;
        if let Some(result) = self.built.get(&(i, kind, index)) {
            return result.clone();
        }
        let default = Response::default();
        let response = list.get(index).unwrap_or(&default);
        let result = response.build(kind, i);
        if result.as_ref().map_or(true, |r| r.body.len() <= CACHED_BODY) {
            self.built.insert((i, kind, index), result.clone());
        }
        result
    }
}

/// What a run ended with.
pub struct Run {
    /// The flow, settled.
    pub flow: Flow,
    /// Moves taken, script and settling.
    pub steps: usize,
}

/// Polls until the machine waits for something other than handing out a
/// fetch; the fetches handed out join `pending`, as a driver keeps them.
fn poll(flow: &mut Flow, pending: &mut Vec<Arc<FetchRequest>>) -> Step {
    drain(flow, |request| pending.push(request))
}

/// Late responses sent after the request settled (each must be ignored).
const LATE_RESPONSES: usize = 64;

/// Drives a flow through the world; panics if it does not settle, settles
/// twice, or changes its outcome afterwards.
pub fn run(world: &World) -> Run {
    dump(world);
    let profile = world.profile();
    let options = world.options.build(cached_options_templates());
    let browser = world.browser.build();
    let rp = Rp::framed(Url::parse(RP).expect("valid"), Url::parse(world.browser.embedder()).expect("valid"));
    let mut flow = Flow::from_json(rp, browser, &options, profile);
    let mut server = Server::new(world);
    // Handed out and not answered yet, in the order handed out.
    let mut pending: Vec<Arc<FetchRequest>> = Vec::new();
    let mut steps = 0;
    let respond = |flow: &mut Flow, server: &mut Server, pending: &mut Vec<Arc<FetchRequest>>, k: usize| {
        let request = pending.remove(k % pending.len());
        let result = server.respond(&request);
        server.answered.push(request.id);
        flow.on_response(request.id, result);
    };
    let script = &world.script[..world.script.len().min(MAX_SCRIPT)];
    for (n, m) in script.iter().chain(std::iter::repeat_n(&Move { kind: 0, arg: 0 }, SETTLE_STEPS)).enumerate() {
        let settling = n >= script.len();
        let step = poll(&mut flow, &mut pending);
        if let Step::Done(_) = step {
            break;
        }
        steps += 1;
        if pending.len() <= 16 {
            assert_eq!(
                flow.pending_requests().count(),
                pending.len(),
                "the machine and the driver disagree on what is pending"
            );
        }
        match (m.kind, &step) {
            (0..=109, _) if !settling && !pending.is_empty() => {
                respond(&mut flow, &mut server, &mut pending, usize::from(m.arg))
            }
            (110..=209, Step::Ask(prompt)) if !settling => {
                let answers = explore::answers(prompt);
                let _ = flow.on_user(answers[usize::from(m.arg) % answers.len()].clone());
            }
            (210..=239, Step::Wait(timer)) => flow.on_timer(timer.id),
            (240..=247, _) => {
                // A response to a request already answered, or never sent.
                let id =
                    server.answered.get(usize::from(m.arg)).copied().unwrap_or(RequestId(u64::from(m.arg) + 1_000_000));
                flow.on_response(id, Ok(HttpResponse::json(r#"{"token":"stray"}"#)));
            }
            (248..=251, _) => flow.on_timer(fedcm_model::machine::TimerId(u64::from(m.arg))),
            (252..=255, _) => {
                flow.abort();
                assert!(flow.outcome().is_some(), "abort did not settle the request");
            }
            // After the script, or when the move does not fit: settle.
            // Prompts and timers first; then fetches, pictures last (the
            // machine ignores their responses, so it never waits on one).
            _ => match &step {
                Step::Ask(prompt) if settling => {
                    flow.on_user(closing_answer(prompt)).expect("closing answers fit every prompt")
                }
                Step::Ask(prompt) if pending.is_empty() => {
                    let _ = flow.on_user(explore::answers(prompt)[0].clone());
                }
                Step::Wait(timer) if settling || pending.is_empty() => flow.on_timer(timer.id),
                _ => match pending.iter().position(|r| r.kind != FetchKind::Picture) {
                    Some(k) => respond(&mut flow, &mut server, &mut pending, k),
                    None if matches!(step, Step::Idle) => panic!(
                        "the machine waits, but nothing is asked and only pictures ({}) are pending",
                        pending.len()
                    ),
                    None => respond(&mut flow, &mut server, &mut pending, 0),
                },
            },
        }
    }
    let outcome = match poll(&mut flow, &mut pending) {
        Step::Done(outcome) => outcome,
        other => panic!(
            "not settled after {steps} steps ({SETTLE_STEPS} to settle); waiting at {}",
            short(&format!("{other:?}"))
        ),
    };

    // Settled once, and nothing moves it afterwards.
    let settled = |flow: &Flow| {
        flow.trace().events.iter().filter(|e| matches!(e, fedcm_model::trace::Event::Settled { .. })).count()
    };
    assert_eq!(settled(&flow), 1, "the request settled more than once");
    for _ in 0..pending.len().min(LATE_RESPONSES) {
        respond(&mut flow, &mut server, &mut pending, 0);
    }
    assert!(flow.on_user(UserAction::Cancel).is_err(), "a settled request took an answer");
    flow.on_timer(fedcm_model::machine::TimerId(0));
    flow.abort();
    assert_eq!(flow.outcome(), Some(&outcome), "the outcome changed after settling");
    assert_eq!(settled(&flow), 1, "the request settled again");
    assert!(matches!(flow.next_step(), Step::Done(_)));
    Run { flow, steps }
}

/// The `invariants` target: a run, then every invariant over its trace.
pub fn run_checked(world: &World) {
    let run = run(world);
    let violations = invariants::check_all(run.flow.trace());
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
        panic!("invariants broken:\n  {}", short(&list.join("\n  ")));
    }
}

/// At most 600 characters of a message.
fn short(text: &str) -> String {
    match text.char_indices().nth(600) {
        Some((i, _)) => format!("{}... ({} bytes)", &text[..i], text.len()),
        None => text.to_string(),
    }
}

/// With `FEDCM_FUZZ_WORLD_OUT` set, writes the world as JSON (to turn a
/// crash artifact into a regression file).
fn dump(world: &World) {
    use std::sync::OnceLock;
    static OUT: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    if let Some(path) = OUT.get_or_init(|| std::env::var_os("FEDCM_FUZZ_WORLD_OUT").map(Into::into)) {
        let text = serde_json::to_string_pretty(world).unwrap_or_default();
        let _ = std::fs::write(path, text + "\n");
    }
}
