//! The DevTools commands and events the harness uses, typed. Names follow
//! the protocol (`Target.attachToTarget` is [`AttachToTarget`]); members
//! the harness does not read are left out of the results.

use super::cdp::Command;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A result the harness does not read (most commands answer `{}`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Empty {}

macro_rules! command {
    ($name:ident, $method:literal, $response:ty) => {
        impl Command for $name {
            const METHOD: &'static str = $method;
            type Response = $response;
        }
    };
}

/// `Browser.getVersion`.
#[derive(Debug, Serialize)]
pub struct GetVersion {}
command!(GetVersion, "Browser.getVersion", Version);

#[derive(Debug, Clone, Deserialize)]
pub struct Version {
    /// For example `HeadlessChrome/156.0.8078.108`.
    pub product: String,
    #[serde(rename = "userAgent", default)]
    pub user_agent: String,
}

/// `Browser.close`: ends the browser (a client that only disconnects
/// leaves it running).
#[derive(Debug, Serialize)]
pub struct CloseBrowser {}
command!(CloseBrowser, "Browser.close", Empty);

/// `Target.createTarget`: a new page.
#[derive(Debug, Serialize)]
pub struct CreateTarget {
    pub url: String,
}
command!(CreateTarget, "Target.createTarget", TargetCreated);

#[derive(Debug, Clone, Deserialize)]
pub struct TargetCreated {
    #[serde(rename = "targetId")]
    pub target_id: String,
}

/// `Target.setAutoAttach` with `flatten`, on a page's session: its
/// out-of-process frames (a cross-site RP in an iframe) are attached as
/// sessions of their own, announced by `Target.attachedToTarget`. FedCM's
/// DevTools events for a call made in such a frame come on its session.
#[derive(Debug, Serialize)]
pub struct SetAutoAttach {
    #[serde(rename = "autoAttach")]
    pub auto_attach: bool,
    #[serde(rename = "waitForDebuggerOnStart")]
    pub wait_for_debugger_on_start: bool,
    pub flatten: bool,
}
command!(SetAutoAttach, "Target.setAutoAttach", Empty);

/// The event `Target.attachedToTarget`.
pub const ATTACHED_TO_TARGET: &str = "Target.attachedToTarget";

#[derive(Debug, Clone, Deserialize)]
pub struct AttachedToTarget {
    #[serde(rename = "sessionId")]
    pub session_id: String,
    #[serde(rename = "targetInfo")]
    pub target_info: TargetInfo,
}

/// `Input.dispatchMouseEvent`: a real click, which gives the frame under
/// it transient activation (a user-gesture evaluation in the page gives it
/// to the page and its same-origin frames only).
#[derive(Debug, Serialize)]
pub struct DispatchMouseEvent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub x: f64,
    pub y: f64,
    pub button: &'static str,
    #[serde(rename = "clickCount")]
    pub click_count: u32,
}
command!(DispatchMouseEvent, "Input.dispatchMouseEvent", Empty);

/// `Page.bringToFront`: the page becomes the focused, painted tab, so input
/// events are hit-tested against its frames.
#[derive(Debug, Serialize)]
pub struct BringToFront {}
command!(BringToFront, "Page.bringToFront", Empty);

/// `Target.closeTarget`: the person closes a pop-up window.
#[derive(Debug, Serialize)]
pub struct CloseTarget {
    #[serde(rename = "targetId")]
    pub target_id: String,
}
command!(CloseTarget, "Target.closeTarget", Empty);

/// `Target.setDiscoverTargets`: `Target.targetCreated` events for new
/// pages (a pop-up the page opens).
#[derive(Debug, Serialize)]
pub struct SetDiscoverTargets {
    pub discover: bool,
}
command!(SetDiscoverTargets, "Target.setDiscoverTargets", Empty);

/// The event `Target.targetCreated`.
pub const TARGET_CREATED: &str = "Target.targetCreated";

#[derive(Debug, Clone, Deserialize)]
pub struct TargetCreatedEvent {
    #[serde(rename = "targetInfo")]
    pub target_info: TargetInfo,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TargetInfo {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
    #[serde(rename = "targetId")]
    pub target_id: String,
}

/// `Target.attachToTarget` with `flatten`: the page's commands and events
/// travel on the browser's connection, tagged with the session id.
#[derive(Debug, Serialize)]
pub struct AttachToTarget {
    #[serde(rename = "targetId")]
    pub target_id: String,
    pub flatten: bool,
}
command!(AttachToTarget, "Target.attachToTarget", Attached);

#[derive(Debug, Clone, Deserialize)]
pub struct Attached {
    #[serde(rename = "sessionId")]
    pub session_id: String,
}

/// `Page.enable`: load events.
#[derive(Debug, Serialize)]
pub struct PageEnable {}
command!(PageEnable, "Page.enable", Empty);

/// `Page.navigate`.
#[derive(Debug, Serialize)]
pub struct Navigate {
    pub url: String,
}
command!(Navigate, "Page.navigate", Navigated);

#[derive(Debug, Clone, Deserialize)]
pub struct Navigated {
    /// Set when the navigation failed (a TLS error, no connection).
    #[serde(rename = "errorText", default)]
    pub error_text: Option<String>,
}

/// `Runtime.evaluate`.
#[derive(Debug, Serialize)]
pub struct Evaluate {
    pub expression: String,
    /// Run as if the person had just clicked (transient activation).
    #[serde(rename = "userGesture")]
    pub user_gesture: bool,
    /// Wait for a returned promise to settle.
    #[serde(rename = "awaitPromise")]
    pub await_promise: bool,
    /// Return the value as JSON, not a remote object handle.
    #[serde(rename = "returnByValue")]
    pub return_by_value: bool,
}
command!(Evaluate, "Runtime.evaluate", Evaluated);

#[derive(Debug, Clone, Deserialize)]
pub struct Evaluated {
    pub result: RemoteObject,
    #[serde(rename = "exceptionDetails", default)]
    pub exception_details: Option<ExceptionDetails>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RemoteObject {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExceptionDetails {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub exception: Option<RemoteObject>,
}

impl ExceptionDetails {
    /// The exception's description, or the summary text.
    pub fn message(&self) -> String {
        self.exception.as_ref().and_then(|e| e.description.clone()).unwrap_or_else(|| self.text.clone())
    }
}

/// `FedCm.enable`.
#[derive(Debug, Serialize)]
pub struct FedCmEnable {
    /// Removes the privacy delay before a failure is reported (4-9 s).
    #[serde(rename = "disableRejectionDelay")]
    pub disable_rejection_delay: bool,
}
command!(FedCmEnable, "FedCm.enable", Empty);

/// `FedCm.selectAccount`.
#[derive(Debug, Serialize)]
pub struct SelectAccount {
    #[serde(rename = "dialogId")]
    pub dialog_id: String,
    #[serde(rename = "accountIndex")]
    pub account_index: usize,
}
command!(SelectAccount, "FedCm.selectAccount", Empty);

/// `FedCm.dismissDialog`.
#[derive(Debug, Serialize)]
pub struct DismissDialog {
    #[serde(rename = "dialogId")]
    pub dialog_id: String,
    /// Whether the dismissal starts the embargo on later calls.
    #[serde(rename = "triggerCooldown")]
    pub trigger_cooldown: bool,
}
command!(DismissDialog, "FedCm.dismissDialog", Empty);

/// `FedCm.clickDialogButton`.
#[derive(Debug, Serialize)]
pub struct ClickDialogButton {
    #[serde(rename = "dialogId")]
    pub dialog_id: String,
    /// `ConfirmIdpLoginContinue`, `ErrorGotIt` or `ErrorMoreDetails`.
    #[serde(rename = "dialogButton")]
    pub dialog_button: String,
}
command!(ClickDialogButton, "FedCm.clickDialogButton", Empty);

/// The event `FedCm.dialogShown`.
pub const DIALOG_SHOWN: &str = "FedCm.dialogShown";

/// The event `FedCm.dialogClosed`: the dialog went away (answered,
/// dismissed, or its call ended).
pub const DIALOG_CLOSED: &str = "FedCm.dialogClosed";

#[derive(Debug, Clone, Deserialize)]
pub struct DialogClosed {
    #[serde(rename = "dialogId")]
    pub dialog_id: String,
}

/// The event `Page.loadEventFired`.
pub const LOAD_EVENT_FIRED: &str = "Page.loadEventFired";

#[derive(Debug, Clone, Deserialize)]
pub struct DialogShown {
    #[serde(rename = "dialogId")]
    pub dialog_id: String,
    /// `AccountChooser`, `AutoReauthn`, `ConfirmIdpLogin`, `Error`.
    #[serde(rename = "dialogType")]
    pub dialog_type: String,
    #[serde(default)]
    pub accounts: Vec<DialogAccount>,
    #[serde(default)]
    pub title: String,
    /// Absent when the dialog has none (Chromium: an iframe RP's "on
    /// top.example" line).
    #[serde(default)]
    pub subtitle: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DialogAccount {
    #[serde(rename = "accountId")]
    pub account_id: String,
    #[serde(rename = "idpConfigUrl", default)]
    pub config_url: String,
}
