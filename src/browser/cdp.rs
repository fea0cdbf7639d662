//! A small client for the Chrome DevTools protocol (CDP) over a WebSocket:
//! commands with an id, each awaited with a deadline; events (with the
//! session id of a flattened target session) on a queue of their own.
//!
//! No maintained Rust CDP client speaks the `FedCm` domain, and the
//! harness needs a dozen commands, so they are typed here
//! (`browser/protocol.rs`). Every read is bounded: a message over
//! [`MAX_MESSAGE`] ends the connection, events past [`EVENT_QUEUE`] are an
//! error, and anything the browser sends that is not a CDP message is an
//! error, never a panic.

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The largest message read from the browser. The harness asks for nothing
/// big (no screenshots, no response bodies); 16 MiB leaves room for a DOM
/// snapshot in an error report.
pub const MAX_MESSAGE: usize = 16 << 20;

/// Events held until read; past this the browser is flooding the client.
pub const EVENT_QUEUE: usize = 4096;

/// What can go wrong talking to the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CdpError {
    /// The WebSocket could not be opened.
    Connect { url: String, message: String },
    /// The connection ended (the browser exited or closed it), with why.
    Closed(String),
    /// No answer to `method` within the deadline.
    Timeout { method: String, after: Duration },
    /// The browser sent something that is not a CDP message.
    Protocol(String),
    /// The browser answered `method` with an error.
    Command { method: String, code: i64, message: String },
    /// The answer to `method` does not have the expected shape.
    Decode { method: String, message: String },
    /// More than [`EVENT_QUEUE`] events were waiting.
    EventsOverflow,
}

impl std::fmt::Display for CdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CdpError::Connect { url, message } => write!(f, "cannot connect to DevTools at {url}: {message}"),
            CdpError::Closed(why) => write!(f, "the DevTools connection closed: {why}"),
            CdpError::Timeout { method, after } => {
                write!(f, "{method}: no answer from the browser within {:.1} s", after.as_secs_f64())
            }
            CdpError::Protocol(why) => write!(f, "the browser sent a message that is not DevTools protocol: {why}"),
            CdpError::Command { method, code, message } => {
                write!(f, "{method} failed in the browser: {message} ({code})")
            }
            CdpError::Decode { method, message } => write!(f, "{method}: unexpected answer: {message}"),
            CdpError::EventsOverflow => write!(f, "more than {EVENT_QUEUE} DevTools events were left unread"),
        }
    }
}

impl std::error::Error for CdpError {}

/// A DevTools command: its method name and the shape of its result.
pub trait Command: Serialize {
    const METHOD: &'static str;
    type Response: DeserializeOwned;
}

/// An event, as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub method: String,
    /// The flattened target session it belongs to (none: the browser's).
    pub session_id: Option<String>,
    pub params: Value,
}

impl Event {
    /// The params as `T`, if the event is `method`.
    pub fn parse<T: DeserializeOwned>(&self, method: &str) -> Option<Result<T, CdpError>> {
        (self.method == method).then(|| {
            serde_json::from_value(self.params.clone())
                .map_err(|e| CdpError::Decode { method: method.to_string(), message: e.to_string() })
        })
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Pending = Mutex<HashMap<u64, oneshot::Sender<Result<Value, CdpError>>>>;

/// State the reader task shares with the client.
#[derive(Default)]
struct Shared {
    pending: Pending,
    /// Why the connection ended, once it has.
    closed: Mutex<Option<CdpError>>,
    overflow: AtomicBool,
}

impl Shared {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Result<Value, CdpError>>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn closed(&self) -> Option<CdpError> {
        self.closed.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records why the connection ended and fails every waiting command.
    fn close(&self, why: CdpError) {
        let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        if closed.is_none() {
            *closed = Some(why.clone());
        }
        drop(closed);
        for (_, waiter) in self.pending().drain() {
            let _ = waiter.send(Err(why.clone()));
        }
    }
}

/// A connection to the browser: send commands with [`Cdp::call`]; events
/// arrive on the [`Events`] returned beside it.
pub struct Cdp {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    shared: Arc<Shared>,
    next_id: AtomicU64,
    reader: tokio::task::JoinHandle<()>,
}

/// The events of a connection, in arrival order.
pub struct Events {
    queue: mpsc::Receiver<Event>,
    shared: Arc<Shared>,
}

/// A message from the browser: an answer (with `id`) or an event.
#[derive(Deserialize)]
struct Incoming {
    id: Option<u64>,
    method: Option<String>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
    #[serde(default)]
    params: Value,
    result: Option<Value>,
    error: Option<IncomingError>,
}

#[derive(Deserialize)]
struct IncomingError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

impl Cdp {
    /// Opens `url` (the browser's `ws://` DevTools address) within `deadline`.
    pub async fn connect(url: &str, deadline: Duration) -> Result<(Cdp, Events), CdpError> {
        let fail = |message: String| CdpError::Connect { url: url.to_string(), message };
        if !url.starts_with("ws://") {
            return Err(fail("only ws:// is supported (DevTools listens in plain text on loopback)".into()));
        }
        let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE)).max_frame_size(Some(MAX_MESSAGE));
        let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        let (socket, _) = match tokio::time::timeout(deadline, connecting).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(fail(e.to_string())),
            Err(_) => return Err(fail(format!("no handshake within {:.1} s", deadline.as_secs_f64()))),
        };
        let (sink, stream) = socket.split();
        let shared = Arc::new(Shared::default());
        let (tx, queue) = mpsc::channel(EVENT_QUEUE);
        let reader = tokio::spawn(read_loop(stream, shared.clone(), tx));
        let cdp =
            Cdp { sink: tokio::sync::Mutex::new(sink), shared: shared.clone(), next_id: AtomicU64::new(1), reader };
        Ok((cdp, Events { queue, shared }))
    }

    /// Sends `command` (to the target session `session`, or the browser)
    /// and waits at most `deadline` for its result.
    pub async fn call<C: Command>(
        &self,
        command: &C,
        session: Option<&str>,
        deadline: Duration,
    ) -> Result<C::Response, CdpError> {
        let value = self.call_raw(C::METHOD, command, session, deadline).await?;
        serde_json::from_value(value).map_err(|e| CdpError::Decode { method: C::METHOD.into(), message: e.to_string() })
    }

    async fn call_raw(
        &self,
        method: &str,
        params: &impl Serialize,
        session: Option<&str>,
        deadline: Duration,
    ) -> Result<Value, CdpError> {
        if let Some(why) = self.shared.closed() {
            return Err(why);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let params = serde_json::to_value(params)
            .map_err(|e| CdpError::Decode { method: method.into(), message: format!("cannot encode: {e}") })?;
        let mut message = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = Value::String(s.to_string());
        }
        let (tx, rx) = oneshot::channel();
        self.shared.pending().insert(id, tx);
        let timeout = || CdpError::Timeout { method: method.into(), after: deadline };
        let sent = tokio::time::timeout(deadline, async {
            self.sink.lock().await.send(Message::text(message.to_string())).await
        })
        .await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.shared.pending().remove(&id);
                return Err(CdpError::Closed(format!("cannot send {method}: {e}")));
            }
            Err(_) => {
                self.shared.pending().remove(&id);
                return Err(timeout());
            }
        }
        match tokio::time::timeout(deadline, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(CdpError::Command { code, message, .. }))) => {
                Err(CdpError::Command { method: method.into(), code, message })
            }
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(self.shared.closed().unwrap_or_else(|| CdpError::Closed("the reader stopped".into()))),
            Err(_) => {
                self.shared.pending().remove(&id);
                Err(timeout())
            }
        }
    }

    /// Why the connection ended, if it has.
    pub fn closed(&self) -> Option<CdpError> {
        self.shared.closed()
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Events {
    /// The next event, waiting at most `deadline`; `Ok(None)` when none came.
    pub async fn next(&mut self, deadline: Duration) -> Result<Option<Event>, CdpError> {
        if self.shared.overflow.load(Ordering::Relaxed) {
            return Err(CdpError::EventsOverflow);
        }
        match tokio::time::timeout(deadline, self.queue.recv()).await {
            Ok(Some(e)) => Ok(Some(e)),
            Ok(None) => Err(self.shared.closed().unwrap_or_else(|| CdpError::Closed("the reader stopped".into()))),
            Err(_) => Ok(None),
        }
    }

    /// Waits at most `deadline` for event `method` of `session`, dropping
    /// the others (for set-up steps, before anything else is expected).
    pub async fn wait_for(
        &mut self,
        method: &str,
        session: Option<&str>,
        deadline: Duration,
    ) -> Result<Event, CdpError> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Some(e) if e.method == method && e.session_id.as_deref() == session => return Ok(e),
                Some(_) => {}
                None => return Err(CdpError::Timeout { method: method.into(), after: deadline }),
            }
        }
    }
}

/// Reads messages until the connection ends, answering waiting commands
/// and queueing events.
async fn read_loop(mut stream: SplitStream<Socket>, shared: Arc<Shared>, events: mpsc::Sender<Event>) {
    let why = loop {
        let text = match stream.next().await {
            None => break CdpError::Closed("the browser ended the connection".into()),
            Some(Err(e)) => break CdpError::Closed(e.to_string()),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) => break CdpError::Closed("the browser closed the connection".into()),
            Some(Ok(Message::Binary(b))) => break CdpError::Protocol(format!("a binary message of {} bytes", b.len())),
            Some(Ok(_)) => continue, // ping, pong: tungstenite answers pings itself
        };
        let incoming: Incoming = match serde_json::from_str(text.as_str()) {
            Ok(m) => m,
            Err(e) => break CdpError::Protocol(format!("not a JSON object with CDP members ({e})")),
        };
        match (incoming.id, incoming.method) {
            (Some(id), _) => {
                // An answer nobody waits for (timed out) is dropped.
                let Some(waiter) = shared.pending().remove(&id) else { continue };
                let result = match (incoming.error, incoming.result) {
                    (Some(e), _) => Err(CdpError::Command { method: String::new(), code: e.code, message: e.message }),
                    (None, Some(r)) => Ok(r),
                    (None, None) => Ok(Value::Object(Default::default())),
                };
                let _ = waiter.send(result);
            }
            (None, Some(method)) => {
                let event = Event { method, session_id: incoming.session_id, params: incoming.params };
                match events.try_send(event) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => shared.overflow.store(true, Ordering::Relaxed),
                    // Nobody reads events any more; answers still matter.
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
            (None, None) => break CdpError::Protocol("a message with neither id nor method".into()),
        }
    };
    shared.close(why);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Echo {
        x: u32,
    }
    impl Command for Echo {
        const METHOD: &'static str = "Test.echo";
        type Response = Value;
    }

    /// A fake browser: for each message it receives, `script` gives the
    /// messages to send back (raw text).
    async fn fake(script: fn(Value) -> Vec<String>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/devtools/browser/x", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            while let Some(Ok(Message::Text(t))) = ws.next().await {
                let request: Value = serde_json::from_str(t.as_str()).unwrap();
                for reply in script(request) {
                    if ws.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                }
            }
        });
        url
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), f).await.expect("in time") })
    }

    const SHORT: Duration = Duration::from_secs(5);

    #[test]
    fn answers_find_their_command_and_events_keep_their_session() {
        run(async {
            let url = fake(|r| {
                vec![
                    json!({"method": "FedCm.dialogShown", "sessionId": "S1", "params": {"dialogId": "d"}}).to_string(),
                    json!({"id": 999, "result": {}}).to_string(),
                    json!({"id": r["id"], "result": {"x": r["params"]["x"], "session": r["sessionId"]}}).to_string(),
                ]
            })
            .await;
            let (cdp, mut events) = Cdp::connect(&url, SHORT).await.unwrap();
            let got = cdp.call(&Echo { x: 7 }, Some("S1"), SHORT).await.unwrap();
            assert_eq!(got, json!({"x": 7, "session": "S1"}));
            let event = events.next(SHORT).await.unwrap().unwrap();
            assert_eq!(event.session_id.as_deref(), Some("S1"));
            assert_eq!(event.params["dialogId"], "d");
        });
    }

    #[test]
    fn an_error_answer_names_the_command() {
        run(async {
            let url = fake(|r| {
                vec![json!({"id": r["id"], "error": {"code": -32601, "message": "no such method"}}).to_string()]
            })
            .await;
            let (cdp, _events) = Cdp::connect(&url, SHORT).await.unwrap();
            let err = cdp.call(&Echo { x: 1 }, None, SHORT).await.unwrap_err();
            assert_eq!(
                err,
                CdpError::Command { method: "Test.echo".into(), code: -32601, message: "no such method".into() }
            );
        });
    }

    #[test]
    fn garbage_from_the_browser_is_an_error_not_a_hang() {
        for garbage in ["not json", "[1,2]", "{}", "{\"id\": \"x\"}", "{\"id\": -1}"] {
            run(async move {
                let url = match garbage {
                    "not json" => fake(|_| vec!["not json".into()]).await,
                    "[1,2]" => fake(|_| vec!["[1,2]".into()]).await,
                    "{}" => fake(|_| vec!["{}".into()]).await,
                    "{\"id\": \"x\"}" => fake(|_| vec!["{\"id\": \"x\"}".into()]).await,
                    _ => fake(|_| vec!["{\"id\": -1}".into()]).await,
                };
                let (cdp, _events) = Cdp::connect(&url, SHORT).await.unwrap();
                let err = cdp.call(&Echo { x: 1 }, None, SHORT).await.unwrap_err();
                assert!(matches!(err, CdpError::Protocol(_)), "{garbage}: {err}");
                // Later calls fail at once with the same cause.
                assert_eq!(cdp.call(&Echo { x: 2 }, None, SHORT).await.unwrap_err(), err);
            });
        }
    }

    #[test]
    fn a_result_of_the_wrong_shape_is_a_decode_error() {
        #[derive(Serialize)]
        struct Typed;
        impl Command for Typed {
            const METHOD: &'static str = "Test.typed";
            type Response = crate::browser::protocol::TargetCreated;
        }
        run(async {
            let url = fake(|r| vec![json!({"id": r["id"], "result": {"targetId": 5}}).to_string()]).await;
            let (cdp, _events) = Cdp::connect(&url, SHORT).await.unwrap();
            let err = cdp.call(&Typed, None, SHORT).await.unwrap_err();
            assert!(matches!(err, CdpError::Decode { .. }), "{err}");
        });
    }

    #[test]
    fn silence_is_a_timeout_and_a_late_answer_is_dropped() {
        run(async {
            let url = fake(|r| {
                if r["params"]["x"] == 1 {
                    vec![]
                } else {
                    vec![json!({"id": r["id"], "result": {}}).to_string()]
                }
            })
            .await;
            let (cdp, _events) = Cdp::connect(&url, SHORT).await.unwrap();
            let err = cdp.call(&Echo { x: 1 }, None, Duration::from_millis(100)).await.unwrap_err();
            assert!(matches!(err, CdpError::Timeout { .. }), "{err}");
            assert!(cdp.call(&Echo { x: 2 }, None, SHORT).await.is_ok());
        });
    }

    #[test]
    fn an_oversized_message_closes_the_connection() {
        run(async {
            let url =
                fake(|_| vec![format!("{{\"method\": \"X\", \"params\": \"{}\"}}", "a".repeat(MAX_MESSAGE + 10))])
                    .await;
            let (cdp, mut events) = Cdp::connect(&url, SHORT).await.unwrap();
            let err = cdp.call(&Echo { x: 1 }, None, SHORT).await.unwrap_err();
            assert!(matches!(err, CdpError::Closed(_)), "{err}");
            assert!(events.next(SHORT).await.is_err());
        });
    }

    #[test]
    fn only_plain_loopback_websockets_are_opened() {
        run(async {
            let err = Cdp::connect("wss://example.invalid/x", SHORT).await.err().unwrap();
            assert!(matches!(err, CdpError::Connect { .. }), "{err}");
            let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("ws://{}/x", closed.local_addr().unwrap());
            drop(closed);
            assert!(Cdp::connect(&url, SHORT).await.is_err());
        });
    }
}
