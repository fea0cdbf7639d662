//! `fedcm serve`'s connections: a cap on how many are open, a header-read
//! timeout (hyper's), an idle timeout, and an accept loop that backs off
//! when accepting fails for lack of resources (out of file descriptors)
//! instead of spinning, and goes straight on when only one connection failed.

use super::log::Logger;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// The first pause after a failed accept; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// When a connection last moved a byte, and whether a request on it is
/// being answered (a scripted `delay_ms` is not idleness).
#[derive(Debug)]
pub(crate) struct Activity {
    last: Mutex<Instant>,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity { last: Mutex::new(Instant::now()), busy: AtomicUsize::new(0) })
    }

    fn touch(&self) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a request as being answered until the guard is dropped.
    pub(crate) fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::Relaxed);
        BusyGuard(self.clone())
    }
}

pub(crate) struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that records when it last read or wrote a byte.
pub(crate) struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Wraps `stream` to track its activity.
pub(crate) fn track<S>(stream: S) -> (Tracked<S>, Arc<Activity>) {
    let activity = Activity::new();
    (Tracked { inner: stream, activity: activity.clone() }, activity)
}

/// Runs `connection` until it ends or has been idle (no byte moved, no
/// request being answered) for `idle`; dropping it closes the socket.
pub(crate) async fn until_idle<F: std::future::Future>(connection: F, activity: Arc<Activity>, idle: Duration) {
    tokio::pin!(connection);
    loop {
        let deadline = activity.last() + idle;
        tokio::select! {
            biased;
            _ = &mut connection => return,
            _ = tokio::time::sleep_until(deadline) => {
                let quiet = activity.busy.load(Ordering::Relaxed) == 0;
                if quiet && activity.last() + idle <= Instant::now() {
                    return;
                }
                if !quiet {
                    // Answering: look again a full idle period from now.
                    activity.touch();
                }
            }
        }
    }
}

/// Where [`accept_loop`] takes connections from: a listening socket (or,
/// in tests, a script of results).
pub(crate) trait Accept {
    type Stream;
    fn accept(&self) -> impl std::future::Future<Output = std::io::Result<Self::Stream>>;
}

impl Accept for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept(&self) -> std::io::Result<tokio::net::TcpStream> {
        tokio::net::TcpListener::accept(self).await.map(|(stream, _)| stream)
    }
}

/// What a failed accept means for the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AcceptFailure {
    /// Only the connection being accepted failed (the client reset or
    /// aborted it, or it brought a pending network error, which Linux's
    /// accept(2) reports this way): accept the next one at once, quietly.
    Connection,
    /// The process or the system is out of something (EMFILE, ENFILE,
    /// ENOBUFS, ENOMEM), or the error is unknown: retrying at once would
    /// spin, so warn and back off.
    Resources,
}

/// Errors accept(2) passes on from a single connection, by number: std has
/// no `ErrorKind` for these. Linux's numbers; other systems rely on the
/// kinds alone.
#[cfg(target_os = "linux")]
const CONNECTION_ERRNOS: &[i32] = &[
    71,  // EPROTO
    92,  // ENOPROTOOPT
    64,  // ENONET
    112, // EHOSTDOWN
    95,  // EOPNOTSUPP
];
#[cfg(not(target_os = "linux"))]
const CONNECTION_ERRNOS: &[i32] = &[];

/// Sorts a failed accept: see [`AcceptFailure`].
pub(crate) fn classify(e: &std::io::Error) -> AcceptFailure {
    use std::io::ErrorKind::*;
    let one_connection = matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | HostUnreachable | NetworkUnreachable | NetworkDown
    ) || e.raw_os_error().is_some_and(|n| CONNECTION_ERRNOS.contains(&n));
    if one_connection {
        AcceptFailure::Connection
    } else {
        AcceptFailure::Resources
    }
}

/// Accepts connections while fewer than `max` are open, handing each to
/// `serve`, until `stop` fires. An accept that failed for one connection
/// only is retried at once without a word; one that failed for lack of
/// resources (EMFILE and the like) is logged once per run of failures and
/// retried after a growing pause.
pub(crate) async fn accept_loop<L, F, Fut>(
    listener: L,
    max: usize,
    logger: &Logger,
    mut stop: tokio::sync::oneshot::Receiver<()>,
    serve: F,
) where
    L: Accept,
    F: Fn(L::Stream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    // `max` is at most MAX_CONNECTIONS (checked in start_with); the clamp
    // keeps Semaphore::new from panicking for any other caller.
    let slots = Arc::new(tokio::sync::Semaphore::new(max.min(tokio::sync::Semaphore::MAX_PERMITS)));
    let mut backoff: Option<Duration> = None;
    loop {
        let permit = tokio::select! {
            _ = &mut stop => return,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
        };
        let accepted = tokio::select! {
            _ = &mut stop => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok(stream) => {
                if backoff.take().is_some() {
                    logger.warn("fedcm serve: accepting connections again".into());
                }
                let connection = serve(stream);
                tokio::spawn(async move {
                    connection.await;
                    drop(permit);
                });
            }
            Err(e) if classify(&e) == AcceptFailure::Connection => drop(permit),
            Err(e) => {
                drop(permit);
                let pause = match backoff {
                    None => {
                        logger.warn(format!("fedcm serve: cannot accept a connection ({e}); retrying with back-off"));
                        FIRST_BACKOFF
                    }
                    Some(d) => (d * 2).min(MAX_BACKOFF),
                };
                backoff = Some(pause);
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::io::{Error, ErrorKind};

    /// A listener that plays back a script of accept results, then waits.
    struct Script(Mutex<VecDeque<std::io::Result<u32>>>);

    impl Accept for Script {
        type Stream = u32;
        async fn accept(&self) -> std::io::Result<u32> {
            let next = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            match next {
                Some(r) => r,
                None => std::future::pending().await,
            }
        }
    }

    /// Runs the loop over `script` until `want` connections were served
    /// (or a deadline that only guards against hanging); the log lines.
    fn run(script: Vec<std::io::Result<u32>>, want: usize) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (logger, lines) = Logger::captured(crate::serve::LogLevel::None);
        let served = Arc::new(AtomicUsize::new(0));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let stop_tx = Mutex::new(Some(stop_tx));
        let counter = served.clone();
        let serve = |_stream: u32| {
            if counter.fetch_add(1, Ordering::Relaxed) + 1 == want {
                if let Some(tx) = stop_tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    let _ = tx.send(());
                }
            }
            async {}
        };
        let listener = Script(Mutex::new(script.into()));
        let finished = rt.block_on(async {
            let looped = accept_loop(listener, 4, &logger, stop_rx, serve);
            tokio::time::timeout(Duration::from_secs(20), looped).await
        });
        assert!(finished.is_ok(), "the accept loop served {} of {want}", served.load(Ordering::Relaxed));
        drop(logger);
        lines.into_iter().collect()
    }

    #[test]
    fn a_connection_that_failed_alone_is_skipped_quietly_at_once() {
        let mut script = Vec::new();
        // Treated as resource exhaustion, these nine would cost a warning
        // and 3 s of back-off.
        for _ in 0..3 {
            script.push(Err(Error::from(ErrorKind::ConnectionAborted)));
            script.push(Err(Error::from(ErrorKind::ConnectionReset)));
            #[cfg(target_os = "linux")]
            script.push(Err(Error::from_raw_os_error(71))); // EPROTO
        }
        script.push(Ok(1));
        let log = run(script, 1);
        assert!(log.is_empty(), "{log:?}");
    }

    #[test]
    fn running_out_of_descriptors_warns_once_and_backs_off() {
        #[cfg(target_os = "linux")]
        let emfile = || Error::from_raw_os_error(24);
        #[cfg(not(target_os = "linux"))]
        let emfile = || Error::other("out of file descriptors");
        let script = vec![Err(emfile()), Err(emfile()), Err(emfile()), Ok(1)];
        let log = run(script, 1);
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].contains("cannot accept") && log[0].contains("back-off"), "{log:?}");
        assert!(log[1].contains("accepting connections again"), "{log:?}");
    }

    #[test]
    fn accept_errors_are_sorted_by_cause() {
        assert_eq!(classify(&Error::from(ErrorKind::ConnectionAborted)), AcceptFailure::Connection);
        assert_eq!(classify(&Error::from(ErrorKind::ConnectionReset)), AcceptFailure::Connection);
        assert_eq!(classify(&Error::from(ErrorKind::OutOfMemory)), AcceptFailure::Resources);
        assert_eq!(classify(&Error::other("unknown")), AcceptFailure::Resources);
        #[cfg(target_os = "linux")]
        {
            // EPROTO is one connection's; EMFILE, ENFILE, ENOBUFS, ENOMEM are not.
            assert_eq!(classify(&Error::from_raw_os_error(71)), AcceptFailure::Connection);
            for errno in [24, 23, 105, 12] {
                assert_eq!(classify(&Error::from_raw_os_error(errno)), AcceptFailure::Resources, "errno {errno}");
            }
        }
    }
}
