//! The page's scripts and the person's answers: the call as the RP page
//! makes it, each `FedCm.dialogShown` answered with the next scripted step
//! through the DevTools `FedCm` domain, and each pop-up the browser opens
//! (login, continuation) answered by running what the IdP's page would run
//! in it, or by closing it as the person would.

use super::cdp::{Cdp, CdpError};
use super::plan::PageCall;
use super::protocol as p;
use crate::scenario::UserStep;
use serde_json::Value;
use std::time::{Duration, Instant};

/// One DevTools command, or one page load.
pub const STEP_DEADLINE: Duration = Duration::from_secs(10);

/// The global the page keeps its `AbortController` in.
const ABORT_CONTROLLER: &str = "__fedcmAbort";

/// The page's call: the outcome as a JSON object, whatever happens. With
/// `abort`, the call's signal is an `AbortController`'s that `abort_script`
/// fires.
pub fn call_script(call: &PageCall, abort: bool) -> String {
    call_script_with(call, abort.then_some(ABORT_CONTROLLER))
}

/// [`call_script`] with the `AbortController` kept in the global
/// `controller` (a session keeps one per `get()`).
pub fn call_script_with(call: &PageCall, controller: Option<&str>) -> String {
    let catch = r#"catch (e) {
    const s = (v) => (typeof v === "string" && v !== "") ? v : null;
    return {outcome: "reject", name: String(e && e.name), message: String(e && e.message),
            code: s(e && (e.code !== undefined ? e.code : e.error)), url: s(e && e.url)};
  }"#;
    match call {
        PageCall::Get(options) => {
            let signal = if let Some(c) = controller {
                format!("window.{c} = new AbortController(); options.signal = window.{c}.signal;")
            } else if fedcm_model::machine::signal_already_aborted(options) {
                // The scenario's `"signal": "aborted"`: a signal aborted before the call.
                "options.signal = AbortSignal.abort();".to_string()
            } else {
                String::new()
            };
            format!(
                r#"(async () => {{
  const options = {options};
  {signal}
  try {{
    const c = await navigator.credentials.get(options);
    if (c === null) return {{outcome: "reject", name: "null", message: "get() resolved with null"}};
    const t = c.token;
    return {{outcome: "resolve", token: t === undefined ? null : t, tokenType: typeof t,
            isAutoSelected: c.isAutoSelected, configURL: c.configURL}};
  }} {catch}
}})()"#
            )
        }
        PageCall::Resolve(args) => {
            let token = args.get("token").cloned().unwrap_or(Value::Null);
            let mut options = serde_json::Map::new();
            if let Some(id) = args.get("accountId") {
                options.insert("accountId".into(), id.clone());
            }
            let options = Value::Object(options);
            // A resolve() that is accepted resolves with nothing, as disconnect() does.
            format!(
                r#"(async () => {{
  try {{
    await IdentityProvider.resolve({token}, {options});
    return {{outcome: "disconnected"}};
  }} {catch}
}})()"#
            )
        }
        PageCall::GetUserInfo { options, caller, allow, top_level } => {
            // The accounts as the page got them: plain objects.
            let call = format!(
                r#"(async () => {{
  try {{
    const accounts = await IdentityProvider.getUserInfo({options});
    return {{outcome: "userinfo", accounts: Array.from(accounts, (a) => Object.assign({{}}, a))}};
  }} {catch}
}})()"#
            );
            if *top_level {
                return call;
            }
            user_info_frame(&call, caller, *allow)
        }
        PageCall::Disconnect(options) => format!(
            r#"(async () => {{
  const options = {options};
  try {{
    await IdentityCredential.disconnect(options);
    return {{outcome: "disconnected"}};
  }} {catch}
}})()"#
        ),
    }
}

/// `call` made by the IdP's document the RP page frames: an iframe of the
/// RP page on `caller`'s origin (with `allow="identity-credentials-get"`
/// if `allow`), which runs what its parent posts, as a framed RP page does.
fn user_info_frame(call: &str, caller: &url::Url, allow: bool) -> String {
    let src = Value::from(caller.join(crate::serve::pages::RP_PAGE).map(String::from).unwrap_or_default());
    let origin = Value::from(caller.origin().ascii_serialization());
    let call = Value::from(call);
    let allow = if allow { "frame.allow = \"identity-credentials-get\";" } else { "" };
    format!(
        r#"(async () => {{
  const frame = document.createElement("iframe");
  {allow}
  const loaded = new Promise((r) => frame.addEventListener("load", r, {{once: true}}));
  frame.src = {src};
  document.body.appendChild(frame);
  const late = (what) => new Promise((_, no) => setTimeout(() => no(new Error("the IdP's frame did not " + what)), 9000));
  await Promise.race([loaded, late("load")]);
  const reply = new Promise((r) => addEventListener("message", (e) => {{ if (e.source === frame.contentWindow) r(e.data); }}));
  frame.contentWindow.postMessage({call}, {origin});
  return await Promise.race([reply, late("answer")]);
}})()"#
    )
}

/// The global the embedder page keeps the RP's frame in.
const FRAME: &str = "__fedcmFrame";

/// How the RP page is framed in its embedder's page: the iframe the
/// embedder's page adds loads `src` (the RP page, or the outermost page of
/// a chain of [`crate::serve::pages::FRAME_PAGE`]s around it), with
/// `allow="identity-credentials-get"` if `allow`, sandboxed (scripts only)
/// if `sandbox`; the RP page is `depth` frames below that iframe's.
#[derive(Debug, Clone, PartialEq)]
pub struct Framing {
    pub src: url::Url,
    pub allow: bool,
    pub sandbox: bool,
    pub depth: usize,
    /// The RP page's origin, to post to; `None` for an opaque one.
    pub rp_origin: Option<String>,
}

impl Framing {
    /// The RP page itself in an iframe that allows FedCM.
    pub fn direct(rp_page: &url::Url) -> Framing {
        let rp_origin = Some(rp_page.origin().ascii_serialization());
        Framing { src: rp_page.clone(), allow: true, sandbox: false, depth: 0, rp_origin }
    }
}

/// Adds the frame of `framing` in the current page, waits for it (and the
/// frames in it) to load, and answers the centre of the frame (`{x, y}`,
/// CSS pixels), where a click lands in it (the frames of a chain fill
/// their parents).
pub fn add_frame(framing: &Framing) -> String {
    let src = Value::from(framing.src.as_str());
    let allow = if framing.allow { "frame.allow = \"identity-credentials-get\";" } else { "" };
    let sandbox = if framing.sandbox { "frame.sandbox = \"allow-scripts\";" } else { "" };
    format!(
        r#"(async () => {{
  const frame = document.createElement("iframe");
  {allow}
  {sandbox}
  const loaded = new Promise((r) => frame.addEventListener("load", r, {{once: true}}));
  frame.src = {src};
  document.body.appendChild(frame);
  window.{FRAME} = frame;
  const late = new Promise((_, no) => setTimeout(() => no(new Error("the framed RP page did not load")), 10000));
  await Promise.race([loaded, late]);
  const box = frame.getBoundingClientRect();
  return {{x: box.left + box.width / 2, y: box.top + box.height / 2}};
}})()"#
    )
}

/// `script` run in the RP page framed by [`add_frame`]: posted to the RP's
/// window (`depth` frames down), and its result awaited (the RP page runs
/// what its parent or the top-level page posts, and answers the sender).
pub fn in_frame(script: &str, framing: &Framing) -> String {
    let script = Value::from(script);
    let origin = Value::from(framing.rp_origin.as_deref().unwrap_or("*"));
    let depth = framing.depth;
    format!(
        r#"(async () => {{
  let target = window.{FRAME}.contentWindow;
  for (let i = 0; i < {depth}; i++) target = target.frames[0];
  const late = new Promise((_, no) => setTimeout(() => no(new Error("the framed RP page did not answer")), 18000));
  const reply = new Promise((r) => addEventListener("message", (e) => {{ if (e.source === target) r(e.data); }}));
  target.postMessage({script}, {origin});
  return await Promise.race([reply, late]);
}})()"#
    )
}

/// What the RP page runs when the scenario's `"abort"` step comes: fires
/// the `AbortController` kept in the global `controller`.
pub fn abort_script_for(controller: &str) -> String {
    format!("window.{controller} && window.{controller}.abort()")
}

fn text(e: CdpError) -> String {
    e.to_string()
}

fn evaluate(expression: String, await_promise: bool) -> p::Evaluate {
    p::Evaluate { expression, user_gesture: false, await_promise, return_by_value: true }
}

/// Fires the RP page's `AbortController` kept in the global `controller`.
pub async fn abort(cdp: &Cdp, page: Option<&str>, controller: &str) -> Result<(), String> {
    cdp.call(&evaluate(abort_script_for(controller), false), page, STEP_DEADLINE).await.map(|_| ()).map_err(text)
}

/// The person's scripted steps for one call, how many were taken, and
/// the global that holds the call's `AbortController`.
pub struct Steps<'a> {
    steps: &'a [UserStep],
    taken: usize,
    controller: String,
}

impl<'a> Steps<'a> {
    pub fn new(steps: &'a [UserStep]) -> Steps<'a> {
        Steps::with_controller(steps, ABORT_CONTROLLER)
    }

    /// Steps whose `"abort"` fires the controller kept in `controller`.
    pub fn with_controller(steps: &'a [UserStep], controller: &str) -> Steps<'a> {
        Steps { steps, taken: 0, controller: controller.to_string() }
    }

    /// The steps not taken yet.
    pub fn left(&self) -> usize {
        self.steps.len() - self.taken
    }

    fn peek(&self) -> Option<&'a UserStep> {
        self.steps.get(self.taken)
    }

    fn next(&mut self) -> Option<&'a UserStep> {
        let step = self.peek();
        self.taken += usize::from(step.is_some());
        step
    }
}

/// Answers one dialog with the next scripted step, as the model's driver
/// would answer the same prompt. `page` is the RP page's session.
///
/// Chromium may replace a dialog with a newer one (a multi-IdP chooser
/// once every IdP has answered) before the answer arrives; the browser
/// then refuses the answer for its dialog id, and the step waits for the
/// newer dialog's event instead of being spent. Whether the dialog had
/// been so replaced.
pub async fn answer_dialog(
    cdp: &Cdp,
    page: Option<&str>,
    shown: &p::DialogShown,
    steps: &mut Steps<'_>,
) -> Result<bool, String> {
    match answer_with(cdp, page, shown, steps.peek(), &steps.controller).await {
        Ok(taken) => {
            if taken {
                steps.next();
            }
            Ok(false)
        }
        Err(Misfit::Cdp(CdpError::Command { message, .. })) if message.contains("Dialog ID does not match") => Ok(true),
        Err(Misfit::Cdp(e)) => Err(text(e)),
        Err(Misfit::Step(why)) => Err(why),
    }
}

/// Why a dialog could not be answered.
enum Misfit {
    /// The browser refused the answer.
    Cdp(CdpError),
    /// The scripted step does not fit the dialog; why.
    Step(String),
}

impl From<CdpError> for Misfit {
    fn from(e: CdpError) -> Misfit {
        Misfit::Cdp(e)
    }
}

/// Answers `shown` with `step`; whether the step was spent.
async fn answer_with(
    cdp: &Cdp,
    page: Option<&str>,
    shown: &p::DialogShown,
    step: Option<&UserStep>,
    controller: &str,
) -> Result<bool, Misfit> {
    let dialog_id = shown.dialog_id.clone();
    let dismiss = p::DismissDialog { dialog_id: dialog_id.clone(), trigger_cooldown: false };
    let misfit = |step: &UserStep| {
        Misfit::Step(format!("the scripted {step:?} does not fit the browser's {} dialog", shown.dialog_type))
    };
    match (shown.dialog_type.as_str(), step) {
        // Needs no answer; takes no step (the model asks nothing either).
        ("AutoReauthn", _) => return Ok(false),
        (_, Some(UserStep::Abort)) => {
            cdp.call(&evaluate(abort_script_for(controller), false), page, STEP_DEADLINE).await?;
        }
        ("AccountChooser", Some(UserStep::Choose { account, config_url })) => {
            let fits = |a: &p::DialogAccount| {
                &a.account_id == account && config_url.as_ref().is_none_or(|c| c == &a.config_url)
            };
            let Some(index) = shown.accounts.iter().position(fits) else {
                let listed: Vec<String> =
                    shown.accounts.iter().map(|a| format!("{} ({})", a.account_id, a.config_url)).collect();
                return Err(Misfit::Step(format!(
                    "the browser's account chooser lists {listed:?}, not the scripted account {account:?}{}",
                    config_url.as_ref().map(|c| format!(" of {c}")).unwrap_or_default()
                )));
            };
            cdp.call(&p::SelectAccount { dialog_id, account_index: index }, page, STEP_DEADLINE).await?;
        }
        // "Continue" on the confirm-login dialog, or "use another account"
        // on a chooser: both open the IdP's login pop-up.
        ("ConfirmIdpLogin" | "AccountChooser", Some(UserStep::Login { .. })) => {
            let click = p::ClickDialogButton { dialog_id, dialog_button: "ConfirmIdpLoginContinue".into() };
            cdp.call(&click, page, STEP_DEADLINE).await?;
        }
        ("Error", Some(UserStep::Dismiss)) => {
            let click = p::ClickDialogButton { dialog_id, dialog_button: "ErrorGotIt".into() };
            cdp.call(&click, page, STEP_DEADLINE).await?;
        }
        // Scripted cancel, or no step left: the person closes the dialog.
        ("AccountChooser" | "ConfirmIdpLogin" | "Error", Some(UserStep::Cancel) | None) => {
            cdp.call(&dismiss, page, STEP_DEADLINE).await?;
        }
        ("AccountChooser" | "ConfirmIdpLogin" | "Error", Some(step)) => return Err(misfit(step)),
        (other, _) => return Err(Misfit::Step(format!("a {other} dialog is not driven yet"))),
    }
    Ok(step.is_some())
}

/// Waits until the pop-up has loaded a page that is not `about:blank`.
async fn loaded(cdp: &Cdp, popup: Option<&str>) -> Result<String, String> {
    let until = Instant::now() + STEP_DEADLINE;
    let probe = evaluate("document.readyState + ' ' + location.href".into(), false);
    while Instant::now() < until {
        if let Ok(r) = cdp.call(&probe, popup, STEP_DEADLINE).await {
            if let Some(state) = r.result.value.as_ref().and_then(Value::as_str) {
                if let Some(url) = state.strip_prefix("complete ").filter(|u| *u != "about:blank") {
                    return Ok(url.to_string());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("the pop-up did not load within {} s", STEP_DEADLINE.as_secs()))
}

/// How long a script that closes the pop-up is waited for.
const CLOSING_DEADLINE: Duration = Duration::from_millis(800);

/// Runs `script` in the pop-up and waits for its promise.
async fn run_in_popup(cdp: &Cdp, popup: Option<&str>, script: &str) -> Result<(), String> {
    let r = cdp.call(&evaluate(script.into(), true), popup, STEP_DEADLINE).await.map_err(text)?;
    match r.exception_details {
        Some(thrown) => Err(format!("the IdP's script in the pop-up failed: {}", thrown.message())),
        None => Ok(()),
    }
}

/// Runs `script`, which ends with `IdentityProvider.close()` or
/// `resolve()`, in the pop-up. Those close the window before the
/// evaluation answers, so no answer (or a lost target) is their success;
/// only a thrown exception is a failure.
async fn close_popup(cdp: &Cdp, popup: Option<&str>, script: String) -> Result<(), String> {
    match cdp.call(&evaluate(script, false), popup, CLOSING_DEADLINE).await {
        Ok(r) => match r.exception_details {
            Some(thrown) => Err(format!("the IdP's script in the pop-up failed: {}", thrown.message())),
            None => Ok(()),
        },
        Err(_) => Ok(()),
    }
}

/// Answers a pop-up the browser opened (attached as `popup`, target
/// `target_id`) with the next scripted step: `login` logs in (the IdP's
/// page sets its login status and closes the window), `close` is the IdP
/// closing it, `continue` resolves it, `cancel` is the person closing the
/// window, `abort` the RP aborting the call. `page` is the RP page.
pub async fn answer_popup(
    cdp: &Cdp,
    page: Option<&str>,
    popup: (&str, &str),
    steps: &mut Steps<'_>,
) -> Result<String, String> {
    let (target_id, session) = popup;
    let url = loaded(cdp, Some(session)).await?;
    match steps.next() {
        Some(UserStep::Abort) => abort(cdp, page, &steps.controller).await?,
        Some(UserStep::Cancel) | None => {
            let close = p::CloseTarget { target_id: target_id.to_string() };
            cdp.call(&close, None, STEP_DEADLINE).await.map_err(text)?;
        }
        Some(UserStep::Login { .. }) => {
            run_in_popup(cdp, Some(session), "navigator.login.setStatus('logged-in')").await?;
            close_popup(cdp, Some(session), "IdentityProvider.close()".into()).await?
        }
        Some(UserStep::Close) => close_popup(cdp, Some(session), "IdentityProvider.close()".into()).await?,
        Some(UserStep::Continue { token, account_id }) => {
            let options = match account_id {
                Some(id) => serde_json::json!({ "accountId": id }),
                None => serde_json::json!({}),
            };
            let script = format!("IdentityProvider.resolve({token}, {options})");
            close_popup(cdp, Some(session), script).await?
        }
        Some(step @ (UserStep::Choose { .. } | UserStep::Dismiss)) => {
            return Err(format!("the scripted {step:?} does not fit the pop-up the browser opened ({url})"))
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_script_embeds_the_options_as_json() {
        let call = PageCall::Get(serde_json::json!({"identity": {"providers": []}, "x": "</script>"}));
        let script = call_script(&call, false);
        assert!(script.contains(r#"const options = {"identity":{"providers":[]},"x":"</script>"};"#), "{script}");
        assert!(!script.contains("AbortController"));
        assert!(call_script(&call, true).contains("options.signal = window.__fedcmAbort.signal"));
        let session = call_script_with(&call, Some("__fedcmAbort3"));
        assert!(session
            .contains("window.__fedcmAbort3 = new AbortController(); options.signal = window.__fedcmAbort3.signal;"));
        assert_eq!(abort_script_for("__fedcmAbort3"), "window.__fedcmAbort3 && window.__fedcmAbort3.abort()");
        let disconnect = call_script(&PageCall::Disconnect(serde_json::json!({"configURL": "x"})), false);
        assert!(disconnect.contains("IdentityCredential.disconnect(options)"), "{disconnect}");
        let rp = url::Url::parse("https://rp.example/.fedcm/rp").unwrap();
        let direct = Framing::direct(&rp);
        let added = add_frame(&direct);
        assert!(added.contains(r#"frame.src = "https://rp.example/.fedcm/rp";"#));
        assert!(added.contains(r#"frame.allow = "identity-credentials-get";"#) && !added.contains("sandbox"));
        let framed = in_frame("1 + \"</script>\"", &direct);
        assert!(framed.contains(r#"postMessage("1 + \"</script>\"", "https://rp.example")"#), "{framed}");
    }
}
