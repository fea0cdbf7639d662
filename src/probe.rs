//! `fedcm probe`: drives the model over real HTTP against an IdP and reports
//! on it: each fetch the model made, what was wrong with each response and
//! under which spec rule, and what a browser would then do. It sends only
//! what the model emits, and stops before the identity assertion unless
//! asked (`--assert`).
//!
//! [`probe_all`] asks the question an IdP engineer has: does my IdP work in
//! the browsers my users have? It runs the probe under every profile, and
//! fetches each method and URL from the network once: later profiles (and
//! later requests alike, such as one picture shared by many accounts) get
//! the recorded answer from a [`ResponseCache`]. The assertion POST too is
//! sent once, with the body of the first profile that reaches it.
//!
//! Every report also says how the IdP signals its login status
//! ([`login_status`]): each `Set-Login` header received, and a plain GET of
//! the config's `login_url` to read its headers.

pub mod dialog;
pub mod login_status;

use crate::escape;
use crate::generations;
use crate::lint::{self, LintContext};
use crate::transport::{Exchange, HttpTransport, Refusal};
use fedcm_model::machine::browser::{BrowserState, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, Method, RequestId};
use fedcm_model::machine::outcome::Outcome;
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Rp, Step};
use fedcm_model::profile::rules::LoginStatusUse;
use fedcm_model::trace::{Event, ResponseResult};
use fedcm_model::{ConfigUrl, Document, HttpResponse, Problem, Profile, Severity};
use login_status::{LoginPage, LoginStatusReport, SetLogin};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Arc;
use url::Url;

pub struct ProbeOptions {
    pub config_url: String,
    pub client_id: String,
    pub rp_origin: String,
    pub login_status: LoginStatus,
    pub account: Option<String>,
    pub assert: bool,
    /// Call in active mode (after a click) instead of passive mode.
    pub active: bool,
    /// The call's `context` (`signin`, `signup`, `use`, `continue`).
    pub context: String,
    pub profile: Profile,
    pub budget: StepBudget,
    /// Every request goes to a mock IdP (`--via`): the config's
    /// `login_url` is fetched even on another origin than the config's
    /// (without it, only on the config's origin, the one a browser opens).
    pub mock: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    pub kind: &'static str,
    pub method: &'static str,
    pub url: String,
    pub credentials: bool,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: usize,
    pub millis: u128,
    /// What the model made of it: accepted, rejected, network-error,
    /// ignored; not-answered when the deadline cut it off.
    pub verdict: &'static str,
    pub network_error: Option<String>,
    /// Why the probe did not fetch it (a picture on a private address) or
    /// stopped waiting (the overall deadline): not the IdP's fault.
    pub not_fetched: Option<String>,
    /// Something the reader must know to trust the checks (an undecoded
    /// Content-Encoding).
    pub note: Option<String>,
    /// Every problem with the body (errors and warnings), with its rule.
    pub problems: Vec<Problem>,
    /// What a browser does because of this response, when it fails.
    pub consequence: Option<&'static str>,
    /// Under `--profile all`: this answer was not fetched again but reused
    /// from the earlier fetch of the same method and URL (`millis` is that
    /// fetch's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reused: Option<Reused>,
}

/// Where a reused answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reused {
    /// The profile whose fetch went out.
    pub from: Profile,
    /// That fetch sent another body than this request would have (the
    /// assertion POST under another generation): the answer is to that body.
    pub body_differs: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub config_url: String,
    pub client_id: String,
    pub rp_origin: String,
    pub profile: Profile,
    pub fetches: Vec<FetchReport>,
    /// Why the probe stopped before the request settled, if it did.
    pub stopped: Option<String>,
    /// Why the probe gave up before the request settled (the deadline, the
    /// step budget): the report is incomplete, exit status 3.
    pub cut_short: Option<String>,
    pub outcome: Option<Outcome>,
    /// How the IdP signals its login status (`Set-Login`), and findings.
    pub login_status: LoginStatusReport,
    /// The account chooser the run reached: the model's dialog and its
    /// accounts. Absent when none was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog: Option<dialog::DialogReport>,
    /// Why no account chooser was reached, when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_dialog: Option<String>,
    /// Errors and warnings in the responses and in `login_status`.
    pub errors: usize,
    pub warnings: usize,
}

fn document(kind: FetchKind) -> Option<Document> {
    Some(match kind {
        FetchKind::WellKnown => Document::WellKnown,
        FetchKind::Config => Document::Config,
        FetchKind::Accounts => Document::Accounts,
        FetchKind::ClientMetadata => Document::ClientMetadata,
        FetchKind::Assertion => Document::Assertion,
        FetchKind::Disconnect => Document::Disconnect,
        FetchKind::Picture => return None,
    })
}

fn consequence(kind: FetchKind) -> &'static str {
    match kind {
        FetchKind::WellKnown | FetchKind::Config => {
            "a browser skips this IdP; with no other IdP the RP gets a NetworkError after the privacy delay"
        }
        FetchKind::Accounts => {
            "a browser treats the user as signed out of this IdP and sets its login status to logged-out"
        }
        FetchKind::ClientMetadata => {
            "a browser shows the sign-up prompt without the RP's privacy policy and terms links"
        }
        FetchKind::Assertion => "a browser shows an error dialog; the RP gets an IdentityCredentialError",
        FetchKind::Disconnect => "a browser removes every connection to this IdP; disconnect() rejects",
        FetchKind::Picture => "a browser shows a placeholder picture",
    }
}

/// What a browser does about an endpoint the config file names but the
/// spec checks only when it is used (#fetch-config-file defers them): the
/// document is accepted, and the failure comes later, or never.
fn deferred_consequence(problem: &Problem) -> Option<&'static str> {
    if problem.document != Document::Config || problem.severity != Severity::Error {
        return None;
    }
    Some(match problem.field.as_deref()? {
        "disconnect_endpoint" => {
            "sign-in is unaffected; IdentityCredential.disconnect() for this IdP rejects with a NetworkError"
        }
        "client_metadata_endpoint" => {
            "a browser skips the client metadata fetch and shows the sign-up prompt without the RP's privacy policy and terms links"
        }
        "id_assertion_endpoint" => {
            "a browser shows the accounts, then, once the user picks one, an error dialog; the RP gets an IdentityCredentialError"
        }
        _ => return None,
    })
}

/// Bounds on the driving loop. Picture fetches are counted apart: an IdP
/// may list thousands of accounts with pictures, and each is one fetch.
#[derive(Debug, Clone, Copy)]
pub struct StepBudget {
    /// Steps other than picture fetches. A flow takes a few dozen (the
    /// well-known file and up to 20 redirects, config, accounts, client
    /// metadata, assertion, a few prompts); more means the model is stuck.
    pub other: usize,
    /// Picture fetches allowed per accounts response the model was given.
    pub pictures_per_list: usize,
}

impl Default for StepBudget {
    fn default() -> Self {
        // No account with a picture fits in fewer than 32 bytes of an
        // accounts list, which is at most MAX_BODY_BYTES: a valid IdP never
        // reaches this. The overall deadline is the real bound on time.
        StepBudget { other: 1_000, pictures_per_list: fedcm_model::MAX_BODY_BYTES / 32 }
    }
}

/// Exit status when the probe gave up before the request settled (the
/// deadline, the step budget): the report is incomplete.
pub const EXIT_CUT_SHORT: u8 = 3;

/// The exit status for a report: 3 when cut short, 1 when a response breaks
/// a rule (a login status error included: a `Set-Login` that does not parse
/// or comes from another site) or the request is rejected, else 0. A deliberate stop (before the
/// assertion, at a pop-up) is not a failure.
pub fn exit_status(r: &ProbeReport) -> u8 {
    if r.cut_short.is_some() {
        EXIT_CUT_SHORT
    } else if r.errors > 0 || matches!(r.outcome, Some(Outcome::Reject { .. })) {
        1
    } else {
        0
    }
}

fn method_name(m: fedcm_model::machine::fetch::Method) -> &'static str {
    match m {
        fedcm_model::machine::fetch::Method::Get => "GET",
        fedcm_model::machine::fetch::Method::Post => "POST",
    }
}

/// What a browser makes of a Content-Encoding this prober does not decode.
fn encoding_note(encoding: &str) -> String {
    let known = encoding
        .split(',')
        .map(str::trim)
        .all(|e| ["gzip", "x-gzip", "deflate", "br", "zstd"].iter().any(|k| e.eq_ignore_ascii_case(k)));
    if known {
        format!(
            "Content-Encoding: {encoding}: a browser decodes this, but fedcm probe does not (it sends no Accept-Encoding); the checks saw the encoded bytes, so body problems here may not be real"
        )
    } else {
        format!(
            "Content-Encoding: {encoding} is not an encoding browsers decode; they, like this probe, see the bytes as sent"
        )
    }
}

/// The report of one exchange, before the body checks and the verdicts.
fn fetch_report(request: &FetchRequest, result: &FetchResult, exchange: &Exchange) -> FetchReport {
    let mut report = FetchReport {
        kind: request.kind.name(),
        method: method_name(request.method),
        url: request.url.to_string(),
        credentials: request.credentials == fedcm_model::machine::fetch::Credentials::Include,
        status: None,
        content_type: None,
        bytes: 0,
        millis: exchange.elapsed.as_millis(),
        verdict: "accepted",
        network_error: None,
        not_fetched: exchange.refused.as_ref().map(|r| r.to_string()),
        note: exchange.content_encoding.as_deref().map(encoding_note),
        problems: Vec::new(),
        consequence: None,
        reused: None,
    };
    match (result, &exchange.refused) {
        (_, Some(_)) => {}
        (Ok(r), None) => {
            report.status = Some(r.status);
            report.content_type = r.header("content-type").map(String::from);
            report.bytes = exchange.bytes;
        }
        (Err(e), None) => report.network_error = Some(e.reason.clone()),
    }
    report
}

/// Every answer got from the network under `--profile all`, by method and
/// URL, so that each is fetched once whichever profile asks for it. A
/// refusal for the overall deadline is not recorded: it is not the IdP's
/// answer (and a later fetch is refused at once anyway).
#[derive(Default)]
pub struct ResponseCache {
    answers: HashMap<(&'static str, Url), Recorded>,
    /// Answers got from the network (a refusal is not one).
    fetched: usize,
    /// Fetches answered with a recorded answer instead.
    reused: usize,
}

/// One answer as the transport gave it, and the request it answered.
struct Recorded {
    result: FetchResult,
    exchange: Exchange,
    profile: Profile,
    body: Option<String>,
}

impl ResponseCache {
    /// Answers got from the network (a refusal, for the deadline or a
    /// private address, is not one).
    pub fn fetched(&self) -> usize {
        self.fetched
    }

    /// Fetches answered with a recorded answer instead.
    pub fn reused(&self) -> usize {
        self.reused
    }

    /// Fetches `batch` for `profile`: a request whose method and URL were
    /// answered before gets a copy of that answer at once, and of several
    /// alike in the batch only the first goes out (the rest get its answer).
    /// `done` gets each request's index in `batch`, its result, and where a
    /// reused answer came from.
    fn fetch_batch(
        &mut self,
        transport: &HttpTransport,
        profile: Profile,
        batch: &[Arc<FetchRequest>],
        mut done: impl FnMut(usize, FetchResult, Exchange, Option<Reused>),
    ) {
        // What goes out; for each, its index in `batch` and those alike.
        let mut requests: Vec<Arc<FetchRequest>> = Vec::new();
        let mut sent: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut going: HashMap<(&'static str, Url), usize> = HashMap::new();
        for (i, request) in batch.iter().enumerate() {
            let key = cache_key(request);
            if let Some(r) = self.answers.get(&key) {
                self.reused += 1;
                let reused = Reused { from: r.profile, body_differs: r.body != request.body };
                done(i, r.result.clone(), r.exchange.clone(), Some(reused));
            } else if let Some((_, alike)) = going.get(&key).and_then(|&j| sent.get_mut(j)) {
                self.reused += 1;
                alike.push(i);
            } else {
                going.insert(key, requests.len());
                sent.push((i, Vec::new()));
                requests.push(Arc::clone(request));
            }
        }
        let (answers, fetched) = (&mut self.answers, &mut self.fetched);
        transport.fetch_batch(&requests, |j, result, exchange| {
            let (Some(request), Some((i, alike))) = (requests.get(j), sent.get(j)) else { return };
            if exchange.refused.is_none() {
                *fetched += 1;
            }
            if !matches!(exchange.refused, Some(Refusal::Deadline(_))) {
                let recorded = Recorded {
                    result: result.clone(),
                    exchange: exchange.clone(),
                    profile,
                    body: request.body.clone(),
                };
                answers.insert(cache_key(request), recorded);
            }
            let copies: Vec<(usize, FetchResult, Exchange)> =
                alike.iter().map(|&k| (k, result.clone(), exchange.clone())).collect();
            done(*i, result, exchange, None);
            for (k, result, exchange) in copies {
                let body_differs = batch.get(k).is_some_and(|q| q.body != request.body);
                done(k, result, exchange, Some(Reused { from: profile, body_differs }));
            }
        });
    }
}

fn cache_key(request: &FetchRequest) -> (&'static str, Url) {
    (method_name(request.method), request.url.clone())
}

/// Probes the IdP under `options.profile`, every fetch over the network.
pub fn probe(options: &ProbeOptions, transport: &HttpTransport) -> Result<ProbeReport, String> {
    probe_with(options, options.profile, transport, None)
}

/// Probes the IdP under `profile`, fetching through `cache` when given.
fn probe_with(
    options: &ProbeOptions,
    profile: Profile,
    transport: &HttpTransport,
    mut cache: Option<&mut ResponseCache>,
) -> Result<ProbeReport, String> {
    let config_url = ConfigUrl::parse(&options.config_url).map_err(|e| format!("CONFIG_URL: {e}"))?;
    let rp_url = Url::parse(&options.rp_origin).map_err(|e| format!("--rp-origin: {e}"))?;
    let mut browser = BrowserState { transient_activation: true, ..BrowserState::default() };
    browser.set_login_status(&config_url.url().origin().ascii_serialization(), options.login_status);
    let mut call = serde_json::json!({"identity": {"providers": [{"configURL": options.config_url, "clientId": options.client_id}]}});
    if options.active {
        call["identity"]["mode"] = "active".into();
    }
    call["identity"]["context"] = options.context.as_str().into();
    let mut flow = Flow::from_json(Rp::new(rp_url), browser, &call, profile);
    let mut fetches: Vec<(RequestId, FetchKind, FetchReport)> = Vec::new();
    let mut stopped = None;
    let mut cut_short = None;
    let mut confirm_idp_login = false;
    // Every Set-Login received, the config's login_url, and whether the
    // config was answered at all.
    let idp_url = config_url.url().clone();
    let mut set_login: Vec<SetLogin> = Vec::new();
    let mut login_url: Option<Url> = None;
    let mut config_answered = false;
    // The config's answer, for the branding it gave (the dialog's rules
    // may drop some).
    let mut config_response: Option<HttpResponse> = None;
    let mut shown: Option<dialog::DialogReport> = None;
    let budget = options.budget;
    let (mut other_steps, mut pictures, mut picture_budget) = (0usize, 0usize, 0usize);
    // A fetch taken from the model while gathering pictures, sent next.
    let mut held: Option<Arc<FetchRequest>> = None;
    loop {
        let step = match held.take() {
            Some(request) => Step::Fetch(request),
            None => flow.next_step(),
        };
        let is_picture = matches!(&step, Step::Fetch(r) if r.kind == FetchKind::Picture);
        if !is_picture {
            other_steps += 1;
            if other_steps > budget.other {
                cut_short = Some(format!(
                    "the request did not settle within {} steps (not counting picture fetches): a model bug",
                    budget.other
                ));
                break;
            }
        }
        match step {
            Step::Fetch(first) => {
                // The pictures the model hands out together are fetched
                // together. Steps other than fetches only read the state,
                // so one seen here is simply asked for again later.
                let mut batch = vec![first];
                if is_picture {
                    // Bounded by the budget, checked just below.
                    while pictures + batch.len() <= picture_budget {
                        match flow.next_step() {
                            Step::Fetch(r) if r.kind == FetchKind::Picture => batch.push(r),
                            Step::Fetch(r) => {
                                held = Some(r);
                                break;
                            }
                            _ => break,
                        }
                    }
                    pictures += batch.len();
                    if pictures > picture_budget {
                        cut_short = Some(format!(
                            "the model asked for more than {picture_budget} picture fetches ({} per accounts list): a model bug",
                            budget.pictures_per_list
                        ));
                        break;
                    }
                }
                // Each result goes to the model as it arrives (a picture's
                // is dropped there at once); the reports keep batch order.
                let mut reports: Vec<Option<FetchReport>> = vec![None; batch.len()];
                let mut deadline = None;
                let on_answer = |i: usize, result: FetchResult, exchange: Exchange, reused: Option<Reused>| {
                    let Some(request) = batch.get(i) else { return };
                    let mut report = fetch_report(request, &result, &exchange);
                    report.reused = reused;
                    if let Some(refusal @ Refusal::Deadline(_)) = &exchange.refused {
                        // Not handed to the model: the probe ends here.
                        deadline.get_or_insert_with(|| {
                            format!("{refusal} while waiting for the {} fetch", request.kind.name())
                        });
                        report.verdict = "not-answered";
                    } else {
                        if let Ok(r) = &result {
                            let kind = request.kind.name();
                            set_login.extend(login_status::headers_of(r, &request.url, kind, &idp_url));
                            if request.kind == FetchKind::Config {
                                config_answered = true;
                                config_response.get_or_insert_with(|| r.clone());
                                if login_url.is_none() {
                                    login_url = crate::serve::login_url_in(&request.url, &r.body);
                                }
                            }
                        }
                        if let (Ok(r), Some(kind)) = (&result, document(request.kind)) {
                            let cx = LintContext {
                                config_url: config_url.clone(),
                                assertion_endpoint: Some(request.url.to_string()),
                                status: r.status,
                                content_type: report.content_type.clone(),
                            };
                            if let Ok(l) = lint::lint(kind, &r.body, &cx, profile) {
                                report.problems = l.problems;
                            }
                        }
                        if request.kind == FetchKind::Accounts {
                            picture_budget = picture_budget.saturating_add(budget.pictures_per_list);
                        }
                        // A refused picture reaches the model as a failed
                        // fetch, as a browser's would; it shows a placeholder
                        // either way.
                        flow.on_response(request.id, result);
                    }
                    if let Some(slot) = reports.get_mut(i) {
                        *slot = Some(report);
                    }
                };
                match cache.as_deref_mut() {
                    Some(cache) => cache.fetch_batch(transport, profile, &batch, on_answer),
                    None => {
                        let mut on_answer = on_answer;
                        transport.fetch_batch(&batch, |i, result, exchange| on_answer(i, result, exchange, None));
                    }
                }
                for (request, report) in batch.iter().zip(reports) {
                    if let Some(report) = report {
                        fetches.push((request.id, request.kind, report));
                    }
                }
                if deadline.is_some() {
                    cut_short = deadline;
                    break;
                }
            }
            Step::Ask(prompt) => match Arc::unwrap_or_clone(prompt) {
                Prompt::AccountChooser { accounts, use_other_account, login_to, dialog } => {
                    if shown.is_none() {
                        shown = Some(dialog_report(
                            options,
                            &config_url,
                            profile,
                            flow.mode(),
                            config_response.as_ref(),
                            dialog,
                            &accounts,
                            use_other_account,
                            &login_to,
                        ));
                    }
                    let ids: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
                    if !options.assert {
                        stopped = Some(format!(
                            "{BEFORE_ASSERTION}; a browser would now show the account chooser with {}",
                            some_of(&ids)
                        ));
                        break;
                    }
                    let pick = options.account.clone().or_else(|| ids.first().map(|s| s.to_string()));
                    let Some(account_id) = pick else {
                        cut_short = Some("the account chooser lists no account to choose".into());
                        break;
                    };
                    flow.on_user(UserAction::Choose { account_id, config_url: None }).map_err(|e| e.to_string())?;
                }
                Prompt::ConfirmIdpLogin { .. } => {
                    // Worded once the model's verdicts are read, below.
                    confirm_idp_login = true;
                    break;
                }
                Prompt::LoginPopup { url, .. } => {
                    stopped = Some(format!("a browser would open the login pop-up at {url}"));
                    break;
                }
                Prompt::ContinuationPopup { url, .. } => {
                    stopped = Some(format!("a browser would open the continuation pop-up at {url}"));
                    break;
                }
                Prompt::ErrorDialog { .. } => {
                    if let Err(e) = flow.on_user(UserAction::Dismiss) {
                        cut_short = Some(format!("the error dialog cannot be dismissed: {e}"));
                        break;
                    }
                }
            },
            Step::Wait(t) => flow.on_timer(t.id),
            Step::Idle => {
                cut_short = Some("the model waits for nothing, yet the request has not settled: a model bug".into());
                break;
            }
            Step::Done(_) => break,
        }
    }
    // The model's own verdict on each response, looked up in one pass over
    // the trace (a list may bring tens of thousands of pictures).
    let mut verdicts: BTreeMap<RequestId, &ResponseResult> = BTreeMap::new();
    for event in &flow.trace().events {
        if let Event::Response { id, result, .. } = event {
            verdicts.entry(*id).or_insert(result);
        }
    }
    for (id, kind, report) in &mut fetches {
        if report.verdict == "not-answered" {
            continue;
        }
        report.verdict = match verdicts.get(id) {
            Some(ResponseResult::Accepted) => "accepted",
            Some(ResponseResult::Rejected { .. }) => "rejected",
            Some(ResponseResult::NetworkError { .. }) => "network-error",
            Some(ResponseResult::Ignored) | None => "ignored",
        };
        let failed = matches!(report.verdict, "rejected" | "network-error")
            || (report.kind == "picture" && report.status.is_some_and(|s| !(200..300).contains(&s)));
        if failed {
            report.consequence = Some(consequence(*kind));
        } else if report.verdict == "accepted" {
            report.consequence = report.problems.iter().find_map(deferred_consequence);
        }
    }
    let fetches: Vec<FetchReport> = fetches.into_iter().map(|(_, _, r)| r).collect();
    if confirm_idp_login {
        stopped = Some(confirm_idp_login_stop(&fetches));
    }
    let outcome = flow.outcome().cloned();
    if outcome.is_none() && stopped.is_none() && cut_short.is_none() {
        cut_short = Some("the request did not settle".into());
    }
    let no_dialog = match &shown {
        Some(_) => None,
        None => {
            Some(no_dialog_why(confirm_idp_login, &fetches, outcome.as_ref(), stopped.as_deref(), cut_short.is_some()))
        }
    };
    let consulted = profile.rules().login_status == LoginStatusUse::Consulted;
    let login_page = match (&login_url, consulted) {
        (Some(url), true) => {
            Some(fetch_login_page(url, &idp_url, options.mock, profile, transport, cache, &mut set_login))
        }
        _ => None,
    };
    // Absence is judged only on a complete look: the config answered, and
    // nothing cut off by the deadline.
    let judged_absence = config_answered && !transport.cut_by_deadline();
    let findings = if consulted {
        login_status::findings(&set_login, &idp_url, login_page.as_ref(), judged_absence)
    } else {
        Vec::new()
    };
    let login_status = LoginStatusReport {
        consulted,
        idp_origin: idp_url.origin().ascii_serialization(),
        login_page,
        set_login,
        findings,
    };
    let count = |s: Severity| fetches.iter().flat_map(|f| &f.problems).filter(|p| p.severity == s).count();
    let errors = count(Severity::Error)
        + fetches.iter().filter(|f| f.network_error.is_some()).count()
        + login_status.count(Severity::Error);
    Ok(ProbeReport {
        config_url: options.config_url.clone(),
        client_id: options.client_id.clone(),
        rp_origin: options.rp_origin.clone(),
        profile,
        errors,
        warnings: count(Severity::Warning) + login_status.count(Severity::Warning),
        login_status,
        dialog: shown,
        no_dialog,
        fetches,
        stopped,
        cut_short,
        outcome,
    })
}

/// A plain GET of the config's `login_url`, only to read its headers (the
/// `Set-Login` ones go to `set_login`): no cookies and no browser headers;
/// the transport follows no redirect and reads at most the model's body
/// limit. Not sent to another origin than the config's unless `mock`: a
/// browser never opens one (the config check refuses it), and a config
/// must not steer the probe at any host it likes.
fn fetch_login_page(
    url: &Url,
    idp: &Url,
    mock: bool,
    profile: Profile,
    transport: &HttpTransport,
    cache: Option<&mut ResponseCache>,
    set_login: &mut Vec<SetLogin>,
) -> LoginPage {
    let mut page = LoginPage {
        url: url.to_string(),
        status: None,
        content_type: None,
        bytes: 0,
        millis: 0,
        network_error: None,
        not_fetched: None,
        reused: None,
    };
    if url.origin() != idp.origin() && !mock {
        page.not_fetched = Some(format!(
            "not fetched: it is not on the config URL's origin {}, so a browser never opens it (the config check refuses it); the probe fetches another origin's login page only with --via",
            idp.origin().ascii_serialization()
        ));
        return page;
    }
    // The kind only labels the request: the transport treats every kind
    // alike but pictures (headers dropped) and configs (host trusted).
    let request = crate::serve::probe_request(FetchKind::WellKnown, Method::Get, url.clone());
    let (result, exchange, reused) = match cache {
        Some(cache) => {
            let mut got = None;
            cache.fetch_batch(transport, profile, &[Arc::new(request.clone())], |_, result, exchange, reused| {
                got = Some((result, exchange, reused));
            });
            match got {
                Some(got) => got,
                None => {
                    page.network_error = Some("the fetch was not run".into());
                    return page;
                }
            }
        }
        None => {
            let (result, exchange) = transport.fetch_timed(&request);
            (result, exchange, None)
        }
    };
    page.millis = exchange.elapsed.as_millis();
    page.reused = reused;
    page.not_fetched = exchange.refused.as_ref().map(|r| r.to_string());
    match (result, &exchange.refused) {
        (_, Some(_)) => {}
        (Ok(r), None) => {
            page.status = Some(r.status);
            page.content_type = r.header("content-type").map(String::from);
            page.bytes = exchange.bytes;
            set_login.extend(login_status::headers_of(&r, url, login_status::LOGIN_PAGE, idp));
        }
        (Err(e), None) => page.network_error = Some(e.reason),
    }
    page
}

/// The fields the probe's call asks to share: it names none, so the
/// default the sign-up disclosure lists.
const DEFAULT_FIELDS: [&str; 3] = ["name", "email", "picture"];

/// The chooser the run reached, for the report: the model's dialog, the
/// accounts, and the config's branding as given.
#[allow(clippy::too_many_arguments)]
fn dialog_report(
    options: &ProbeOptions,
    config_url: &ConfigUrl,
    profile: Profile,
    mode: fedcm_model::options::Mode,
    config: Option<&HttpResponse>,
    dialog: fedcm_model::machine::prompt::Dialog,
    accounts: &[fedcm_model::machine::prompt::AccountChoice],
    use_other_account: bool,
    login_to: &[usize],
) -> dialog::DialogReport {
    // The probe's call names one provider.
    let providers = [options.config_url.as_str()];
    let given = config.and_then(|r| {
        let parsed = fedcm_model::idp::config::parse(r, config_url, profile).ok();
        dialog::GivenBrand::of(&r.body, parsed.as_ref().and_then(|p| p.value.branding.as_ref()))
    });
    dialog::DialogReport {
        dialog,
        accounts: accounts.to_vec(),
        use_other_account,
        login_to: login_to.iter().filter_map(|i| providers.get(*i)).map(|s| s.to_string()).collect(),
        fields: DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
        mode,
        given,
    }
}

/// Why the run reached no account chooser, in a line.
fn no_dialog_why(
    confirm_idp_login: bool,
    fetches: &[FetchReport],
    outcome: Option<&Outcome>,
    stopped: Option<&str>,
    cut_short: bool,
) -> String {
    let accounts_refused = fetches
        .iter()
        .rev()
        .find(|f| f.kind == FetchKind::Accounts.name())
        .is_some_and(|f| matches!(f.verdict, "rejected" | "network-error"));
    let why = if cut_short {
        "the probe was cut short before it".to_string()
    } else if confirm_idp_login && accounts_refused {
        "the accounts list was refused, so a browser shows the confirm-IdP-login dialog instead".to_string()
    } else if confirm_idp_login {
        "the IdP returned no account for this session (no session cookie, or signed out): a browser shows the confirm-IdP-login dialog instead".to_string()
    } else if stopped.is_some_and(|s| s.contains("login pop-up")) {
        "the IdP's login status is not logged-in: a browser opens the login pop-up first".to_string()
    } else {
        match outcome {
            Some(Outcome::Reject { error }) => {
                format!("the request was rejected first ({}: {})", error.name.as_str(), error.reason.id())
            }
            Some(Outcome::Resolve { .. }) => "the request resolved without it".to_string(),
            None => "the request did not get that far".to_string(),
        }
    };
    format!("no account chooser was shown: {why}")
}

/// How the stop before the assertion begins.
const BEFORE_ASSERTION: &str = "stopped before the identity assertion (pass --assert to send it)";

/// Account ids named in the stop message: a list may hold thousands.
const IDS_NAMED: usize = 10;

/// The first [`IDS_NAMED`] of `ids`, and how many more there are.
fn some_of(ids: &[&str]) -> String {
    let named = ids.iter().take(IDS_NAMED).copied().collect::<Vec<_>>().join(", ");
    match ids.len().saturating_sub(IDS_NAMED) {
        0 => named,
        more => format!("{named} and {more} more"),
    }
}

/// Why the browser asks the user to confirm the IdP login: either the IdP
/// sent nothing usable (the accounts list was refused, so fixing it is the
/// IdP's job) or it sent no account for this session (no cookie was passed,
/// or the session has none).
fn confirm_idp_login_stop(fetches: &[FetchReport]) -> String {
    let refused = fetches
        .iter()
        .rev()
        .find(|f| f.kind == FetchKind::Accounts.name())
        .is_some_and(|f| matches!(f.verdict, "rejected" | "network-error"));
    let dialog = "a browser would show the confirm-IdP-login dialog";
    if refused {
        format!(
            "the accounts list was refused for its errors: {dialog}, and signing in again cannot help until the IdP fixes the list"
        )
    } else {
        format!(
            "the IdP counts as logged in but returned no account for this session: {dialog} (pass the session with --cookie)"
        )
    }
}

/// The report as text. Everything the IdP or the user supplied (URLs,
/// account ids, tokens, error texts) is escaped: it must not drive the
/// terminal.
pub fn render(r: &ProbeReport) -> String {
    let e = escape::line;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fedcm probe {} (clientId {}, as RP {}, profile {})",
        e(&r.config_url),
        e(&r.client_id),
        e(&r.rp_origin),
        r.profile
    );
    for (i, f) in r.fetches.iter().enumerate() {
        let cookies = if f.credentials { "cookies" } else { "no cookies" };
        let answer = match (&f.status, &f.network_error, &f.not_fetched) {
            (_, _, Some(n)) => e(n).into_owned(),
            (_, Some(err), None) => format!("no response: {}", e(err)),
            (Some(s), None, None) => {
                format!("{s} {}, {} bytes", e(f.content_type.as_deref().unwrap_or("(no content-type)")), f.bytes)
            }
            _ => String::new(),
        };
        let took = match f.reused {
            Some(Reused { from, .. }) if from != r.profile => format!("answer reused from {from}'s fetch"),
            Some(_) => "answer reused from the fetch above".into(),
            None => format!("{} ms", f.millis),
        };
        let _ = writeln!(out, "{:>2}. {} {} [{}; {cookies}] -> {answer}, {took}", i + 1, f.method, e(&f.url), f.kind);
        if f.problems.is_empty() && f.network_error.is_none() && f.consequence.is_none() && f.not_fetched.is_none() {
            let _ = writeln!(out, "    ok ({})", f.verdict);
        }
        if let Some(n) = &f.note {
            let _ = writeln!(out, "    note: {}", e(n));
        }
        for p in &f.problems {
            let _ = writeln!(out, "    - {}", e(&p.to_string()));
        }
        if let Some(c) = f.consequence {
            let _ = writeln!(out, "    => {c}");
        }
    }
    login_status::render(&r.login_status, r.profile.name(), &mut out);
    match (&r.dialog, &r.no_dialog) {
        (Some(d), _) => out.push_str(&dialog::render(d, r.profile)),
        (None, Some(why)) => {
            let _ = writeln!(out, "{}", e(why));
        }
        (None, None) => {}
    }
    let _ = writeln!(out, "result: {}", result_text(r));
    let _ = writeln!(out, "{} error(s), {} warning(s)", r.errors, r.warnings);
    // Control characters are escaped where it is printed (output::print).
    out
}

/// What the request came to, escaped: the report's `result:` line.
fn result_text(r: &ProbeReport) -> String {
    let e = escape::line;
    match (&r.cut_short, &r.outcome, &r.stopped) {
        (Some(why), _, _) => format!("CUT SHORT, the request did not settle: {}", e(why)),
        (None, Some(Outcome::Resolve { credential }), _) => {
            format!("a browser resolves with token {}", e(&credential.token().to_string()))
        }
        (None, Some(Outcome::Reject { error }), _) => {
            format!("a browser rejects with {}: {} [{}]", error.name.as_str(), e(&error.message), error.reason.id())
        }
        (None, None, Some(s)) => e(s).into_owned(),
        (None, None, None) => "the request did not settle".into(),
    }
}

/// `fedcm probe --profile all`: the probe under every profile, each method
/// and URL fetched from the network once.
#[derive(Debug, Clone, Serialize)]
pub struct AcrossReport {
    pub config_url: String,
    pub client_id: String,
    pub rp_origin: String,
    /// Each profile's report by profile name, in [`Profile::ALL`]'s order.
    #[serde(serialize_with = "by_profile")]
    pub profiles: Vec<ProbeReport>,
    /// Answers got from the network, each method and URL once (a refusal,
    /// for the deadline or a private address, is not one).
    pub fetched: usize,
    /// Fetches answered with an earlier fetch's answer instead.
    pub reused: usize,
    /// The profiles where the probe finds nothing wrong (its exit status
    /// under that profile alone would be 0).
    pub works: Vec<Profile>,
    /// The others, and why.
    pub breaks: Vec<Breaks>,
    /// "works in: ...; breaks in: ...", in `fedcm lint`'s words.
    pub summary: String,
}

/// A profile where the probe finds something wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Breaks {
    pub profile: Profile,
    /// See [`why_it_breaks`].
    pub why: Vec<String>,
}

fn by_profile<S: serde::Serializer>(reports: &[ProbeReport], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(reports.iter().map(|r| (r.profile.name(), r)))
}

/// Why the probe under one profile would not exit 0, or `None` when it
/// would: "cut short"; else the rejection reason's id, then the rule id of
/// each error in the responses ("network-error" for a fetch that got no
/// response), each once.
pub fn why_it_breaks(r: &ProbeReport) -> Option<Vec<String>> {
    match exit_status(r) {
        0 => None,
        EXIT_CUT_SHORT => Some(vec!["cut short".into()]),
        _ => {
            let mut why: Vec<String> = Vec::new();
            if let Some(Outcome::Reject { error }) = &r.outcome {
                why.push(error.reason.id());
            }
            for f in &r.fetches {
                let rules = f.problems.iter().filter(|p| p.severity == Severity::Error).map(|p| p.rule.id());
                for id in rules.chain(f.network_error.as_ref().map(|_| "network-error")) {
                    if !why.iter().any(|w| w == id) {
                        why.push(id.to_string());
                    }
                }
            }
            let login = r.login_status.findings.iter().filter(|f| f.severity == Severity::Error);
            for id in login.map(|f| f.rule) {
                if !why.iter().any(|w| w == id) {
                    why.push(id.to_string());
                }
            }
            Some(why)
        }
    }
}

impl AcrossReport {
    fn new(options: &ProbeOptions, profiles: Vec<ProbeReport>, cache: &ResponseCache) -> AcrossReport {
        let verdicts: Vec<(Profile, Option<Vec<String>>)> =
            profiles.iter().map(|r| (r.profile, why_it_breaks(r))).collect();
        let lines: Vec<(Profile, Option<String>)> =
            verdicts.iter().map(|(p, why)| (*p, why.as_ref().map(|w| w.join(", ")))).collect();
        AcrossReport {
            config_url: options.config_url.clone(),
            client_id: options.client_id.clone(),
            rp_origin: options.rp_origin.clone(),
            fetched: cache.fetched(),
            reused: cache.reused(),
            works: verdicts.iter().filter(|(_, why)| why.is_none()).map(|(p, _)| *p).collect(),
            breaks: verdicts.into_iter().filter_map(|(profile, why)| why.map(|why| Breaks { profile, why })).collect(),
            summary: lint::works_in(&lines),
            profiles,
        }
    }
}

/// Probes the IdP under every profile in [`Profile::ALL`], in order,
/// through one [`ResponseCache`]: each method and URL goes out once, under
/// the first profile that asks for it, and every later fetch of it reuses
/// that answer. So the assertion POST (with `--assert`) is sent once, with
/// that profile's body, though other generations would post another.
pub fn probe_all(options: &ProbeOptions, transport: &HttpTransport) -> Result<AcrossReport, String> {
    let mut cache = ResponseCache::default();
    let mut reports = Vec::with_capacity(Profile::ALL.len());
    for profile in Profile::ALL {
        reports.push(probe_with(options, profile, transport, Some(&mut cache))?);
    }
    Ok(AcrossReport::new(options, reports, &cache))
}

/// The exit status across profiles: 3 when any was cut short, else 1 when
/// any breaks, else 0.
pub fn exit_status_all(r: &AcrossReport) -> u8 {
    let statuses: Vec<u8> = r.profiles.iter().map(exit_status).collect();
    if statuses.contains(&EXIT_CUT_SHORT) {
        EXIT_CUT_SHORT
    } else if statuses.iter().any(|s| *s != 0) {
        1
    } else {
        0
    }
}

/// The problems the first report does not show as they are for every
/// profile: each with the profiles that report it, where it is not in the
/// first report or some profile that got the same response does not report
/// it. In order of first appearance; a map by text keeps this linear in
/// the problems of a list of thousands of accounts.
fn differing_problems(reports: &[ProbeReport]) -> Vec<(String, Vec<Profile>)> {
    let mut problems: ProfilesBy<String> = ProfilesBy::default();
    // The response each problem is about (its first), and which profiles
    // got each response.
    let mut about: Vec<(&str, &str)> = Vec::new();
    let mut fetched: ProfilesBy<(&str, &str)> = ProfilesBy::default();
    for r in reports {
        for f in &r.fetches {
            let fetch = (f.method, f.url.as_str());
            fetched.add(fetch, r.profile);
            for problem in &f.problems {
                if problems.add(problem.to_string(), r.profile) == about.len() {
                    about.push(fetch);
                }
            }
        }
    }
    let first = reports.first().map(|r| r.profile);
    problems
        .groups
        .into_iter()
        .zip(about)
        .filter(|((_, profiles), fetch)| {
            let everywhere = fetched.get(fetch).is_some_and(|got| got.len() == profiles.len());
            !(everywhere && profiles.first() == first.as_ref())
        })
        .map(|(group, _)| group)
        .collect()
}

/// Profiles grouped by a key, in order of first appearance, each profile
/// once per key (the reports come profile by profile).
struct ProfilesBy<K> {
    groups: Vec<(K, Vec<Profile>)>,
    index: HashMap<K, usize>,
}

impl<K> Default for ProfilesBy<K> {
    fn default() -> Self {
        ProfilesBy { groups: Vec::new(), index: HashMap::new() }
    }
}

impl<K: std::hash::Hash + Eq + Clone> ProfilesBy<K> {
    /// Adds `profile` under `key`; returns the key's group index.
    fn add(&mut self, key: K, profile: Profile) -> usize {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.clone(), self.groups.len());
                self.groups.push((key, Vec::new()));
                self.groups.len() - 1
            }
        };
        if let Some((_, profiles)) = self.groups.get_mut(i) {
            if profiles.last() != Some(&profile) {
                profiles.push(profile);
            }
        }
        i
    }

    fn get(&self, key: &K) -> Option<&Vec<Profile>> {
        self.index.get(key).and_then(|&i| self.groups.get(i)).map(|(_, profiles)| profiles)
    }
}

/// One profile's result in a line: the `result:` line, shortened. A
/// rejection's message is given only when no response had an error (it is
/// then the only explanation; else the errors are listed).
fn brief_result(r: &ProbeReport) -> String {
    match (&r.cut_short, &r.outcome, &r.stopped) {
        (None, Some(Outcome::Reject { error }), _) if r.errors > 0 => {
            format!("a browser rejects with {} [{}]", error.name.as_str(), error.reason.id())
        }
        (None, Some(Outcome::Reject { error }), _) => format!(
            "a browser rejects with {} [{}]: {}",
            error.name.as_str(),
            error.reason.id(),
            escape::line(&error.message)
        ),
        (None, None, Some(s)) => match s.strip_prefix(BEFORE_ASSERTION).and_then(|s| s.strip_prefix("; ")) {
            Some(rest) => format!("{} (stopped before the assertion)", escape::line(rest)),
            None => escape::line(s).into_owned(),
        },
        _ => result_text(r),
    }
}

/// The account chooser across profiles, after the first profile's report,
/// which draws its mock-up in full (or says why there is none).
///
/// Each other mock-up is drawn once, for all the profiles that draw it
/// alike, and only where it differs from the first's; when every profile
/// agrees, one line says so. Why: a mock-up is a dozen lines or more, and
/// five copies of one box would bury the line that differs (a title only
/// Chromium words, a colour its contrast rule drops), while a diff of boxes
/// would be harder to read than the boxes. Grouping on the box's exact
/// text means that whatever is drawn here differs somewhere from the box
/// above, and profiles drawn together (spec and spec-2024, say) see the
/// same dialog.
fn dialogs_across(reports: &[ProbeReport], out: &mut String) {
    let e = escape::line;
    let mut groups: ProfilesBy<(String, bool)> = ProfilesBy::default();
    for p in reports {
        let key = match (&p.dialog, &p.no_dialog) {
            (Some(d), _) => (dialog::mockup(d, p.profile), true),
            (None, why) => (why.clone().unwrap_or_default(), false),
        };
        groups.add(key, p.profile);
    }
    let mut groups = groups.groups.into_iter();
    let Some(((_, drawn), first)) = groups.next() else { return };
    let rest: Vec<_> = groups.collect();
    let what = if drawn { "the dialog drawn above" } else { "no account chooser" };
    if rest.is_empty() {
        let _ = writeln!(out, "  dialog: {what} under every profile");
        return;
    }
    let _ = writeln!(out, "  dialog: {what} under {}; it differs under the others:", generations::names(&first));
    for ((text, drawn), profiles) in rest {
        if drawn {
            let _ = writeln!(out, "  dialog under {}:", generations::names(&profiles));
            out.push_str(&text);
        } else {
            let _ = writeln!(out, "  dialog under {}: {}", generations::names(&profiles), e(&text));
        }
    }
}

/// The report across profiles as text: the first profile's report in
/// full, then a line per profile, the problems not every profile reports,
/// the answers reused for a request with another body, and the summary.
/// Escaped as [`render`] is.
pub fn render_all(r: &AcrossReport) -> String {
    let e = escape::line;
    let mut out = r.profiles.first().map(render).unwrap_or_default();
    let _ = writeln!(
        out,
        "\nacross profiles (each method and URL fetched once: {} answer(s) from the network, {} reused):",
        r.fetched, r.reused
    );
    let width = r.profiles.iter().map(|p| p.profile.name().len() + 1).max().unwrap_or(0);
    for p in &r.profiles {
        let _ = writeln!(
            out,
            "  {:<width$} {}; {} error(s), {} warning(s)",
            format!("{}:", p.profile),
            brief_result(p),
            p.errors,
            p.warnings
        );
    }
    dialogs_across(&r.profiles, &mut out);
    for (text, profiles) in differing_problems(&r.profiles) {
        let _ = writeln!(out, "  - [{}] {}", generations::names(&profiles), e(&text));
    }
    // A request that went out once with one profile's body, whose answer
    // other profiles took for theirs.
    let mut reused: ProfilesBy<(&str, &str, Profile)> = ProfilesBy::default();
    for p in &r.profiles {
        for f in &p.fetches {
            if let Some(Reused { from, body_differs: true }) = f.reused {
                reused.add((f.method, f.url.as_str(), from), p.profile);
            }
        }
    }
    for ((method, url, from), profiles) in &reused.groups {
        let _ = writeln!(
            out,
            "  note: {method} {} was sent once, with {from}'s body; its answer was reused for {}, whose body differs",
            e(url),
            generations::names(profiles)
        );
    }
    let _ = writeln!(out, "{}", r.summary);
    out
}
