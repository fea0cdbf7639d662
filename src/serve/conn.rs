//! `fedcm serve`'s connections: a cap on how many are open, a header-read
//! timeout (hyper's), an idle timeout, and an accept loop that backs off
//! when accepting fails (out of file descriptors) instead of spinning.

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

/// Accepts connections while fewer than `max` are open, handing each to
/// `serve`, until `stop` fires. A failed accept (EMFILE and the like) is
/// logged once per run of failures and retried after a growing pause.
pub(crate) async fn accept_loop<F, Fut>(
    listener: tokio::net::TcpListener,
    max: usize,
    logger: &Logger,
    mut stop: tokio::sync::oneshot::Receiver<()>,
    serve: F,
) where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
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
            Ok((stream, _)) => {
                if backoff.take().is_some() {
                    logger.warn("fedcm serve: accepting connections again".into());
                }
                let connection = serve(stream);
                tokio::spawn(async move {
                    connection.await;
                    drop(permit);
                });
            }
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
