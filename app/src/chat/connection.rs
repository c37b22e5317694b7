//! The browser's live connection: one WebSocket per tab, for as long as the
//! chat view is mounted.
//!
//! It connects with `?after=<last event id this tab has>` (the page's server
//! render says where it starts), so the server replays whatever the tab
//! missed before sending live events; without an id it starts from the
//! server's `hello`. When the socket closes, or stays silent past the
//! heartbeat window, it reconnects with exponential backoff and jitter. While
//! there is no socket, the tab polls `events_since` every 2 s so events
//! still arrive. A 401 there, a `signed_out` event or close code 4001 sends the
//! tab to the log-in page; close code 4008 (too many tabs) stops it.
//! `Connection::stop` closes the socket and clears every timer — the chat view
//! calls it when it unmounts (log-out, leaving for the admin console).
//! Only compiled into the browser build; on the server `start` does nothing.

use leptos::prelude::*;

use crate::chat::model::Incoming;

/// What the rest of the UI sees of the connection.
#[derive(Clone, Copy)]
pub struct Live {
    /// True while a socket is open.
    pub connected: RwSignal<bool>,
    /// The newest event id this tab has applied (the resume point); 0: none yet.
    pub last_id: RwSignal<i64>,
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{cell::RefCell, rc::Rc};

    use gloo_timers::callback::{Interval, Timeout};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::Live;
    use crate::{
        chat::{
            api::events_since,
            model::{Event, Incoming},
        },
        error::AppError,
    };

    const SILENCE_LIMIT_MS: f64 = 50_000.0;
    const SIGNED_OUT: u16 = 4001;
    const TOO_MANY: u16 = 4008;

    pub type Handler = Rc<dyn Fn(Incoming)>;

    fn bare(event: Event) -> Incoming {
        Incoming {
            event_id: None,
            event,
        }
    }

    #[derive(Default)]
    pub struct Conn {
        socket: Option<WebSocket>,
        attempts: u32,
        last_frame: f64,
        stopped: bool,
        timers: Vec<Interval>,
        reconnect: Option<Timeout>,
        _closures: Vec<Box<dyn std::any::Any>>,
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    fn url(after: i64) -> String {
        let loc = window().location();
        let scheme = if loc.protocol().as_deref() == Ok("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = loc.host().unwrap_or_default();
        let query = if after > 0 {
            format!("?after={after}")
        } else {
            String::new()
        };
        format!("{scheme}://{host}/ws{query}")
    }

    thread_local! {
        /// This tab's connection, for sending frames (one per tab).
        static CURRENT: RefCell<std::rc::Weak<RefCell<Conn>>> = const { RefCell::new(std::rc::Weak::new()) };
    }

    /// Sends `text` over the open socket; false when there is none.
    pub fn send(text: &str) -> bool {
        CURRENT.with(|current| {
            let Some(conn) = current.borrow().upgrade() else {
                return false;
            };
            let c = conn.borrow();
            match &c.socket {
                Some(socket) if socket.ready_state() == WebSocket::OPEN => {
                    socket.send_with_str(text).is_ok()
                }
                _ => false,
            }
        })
    }

    pub fn start(live: Live, on_event: Handler) -> Rc<RefCell<Conn>> {
        let conn = Rc::new(RefCell::new(Conn {
            last_frame: now(),
            ..Conn::default()
        }));
        CURRENT.with(|current| *current.borrow_mut() = Rc::downgrade(&conn));
        open(live, on_event.clone(), conn.clone());
        // Watchdog: a socket silent past the heartbeat window is dead.
        let watch = conn.clone();
        let watchdog = Interval::new(10_000, move || {
            let c = watch.borrow();
            if let Some(s) = &c.socket
                && now() - c.last_frame > SILENCE_LIMIT_MS
            {
                let _ = s.close();
            }
        });
        // Fallback: poll while disconnected.
        let poll = conn.clone();
        let poller = Interval::new(2_000, move || {
            if poll.borrow().stopped || live.connected.try_get_untracked() != Some(false) {
                return;
            }
            let Some(after) = live.last_id.try_get_untracked() else {
                return;
            };
            let on_event = on_event.clone();
            leptos::task::spawn_local(async move {
                match events_since(after).await {
                    Ok(frames) => {
                        for frame in frames {
                            if let Some(incoming) = Incoming::parse(&frame) {
                                on_event(incoming);
                            }
                        }
                    }
                    Err(AppError::Unauthorized { .. }) => on_event(bare(Event::SignedOut)),
                    Err(_) => {}
                }
            });
        });
        conn.borrow_mut().timers = vec![watchdog, poller];
        conn
    }

    /// Closes the socket for good and drops every timer and callback.
    pub fn stop(conn: &Rc<RefCell<Conn>>) {
        let mut c = conn.borrow_mut();
        c.stopped = true;
        if let Some(socket) = c.socket.take() {
            socket.set_onclose(None);
            socket.set_onmessage(None);
            let _ = socket.close();
        }
        c.timers.clear();
        c.reconnect = None;
        c._closures.clear();
    }

    fn open(live: Live, on_event: Handler, conn: Rc<RefCell<Conn>>) {
        if conn.borrow().stopped {
            return;
        }
        let Some(after) = live.last_id.try_get_untracked() else {
            return;
        };
        let Ok(socket) = WebSocket::new(&url(after)) else {
            schedule_reconnect(live, on_event, conn);
            return;
        };
        let c = conn.clone();
        let handler = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            c.borrow_mut().last_frame = now();
            if let Some(text) = ev.data().as_string()
                && let Some(event) = Incoming::parse(&text)
            {
                if matches!(event.event, Event::Hello { .. }) {
                    c.borrow_mut().attempts = 0;
                    live.connected.try_set(true);
                }
                handler(event);
            }
        });
        let c = conn.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            live.connected.try_set(false);
            c.borrow_mut().socket = None;
            match ev.code() {
                SIGNED_OUT => on_event(bare(Event::SignedOut)),
                TOO_MANY => stop(&c),
                _ => schedule_reconnect(live, on_event.clone(), c.clone()),
            }
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut c = conn.borrow_mut();
        c.last_frame = now();
        c.socket = Some(socket);
        c._closures = vec![Box::new(on_message), Box::new(on_close)];
    }

    /// 0.5 s, 1 s, 2 s … up to 30 s, each with ±50 % jitter so a restarted
    /// server is not hit by every tab at the same instant.
    fn schedule_reconnect(live: Live, on_event: Handler, conn: Rc<RefCell<Conn>>) {
        let attempts = {
            let mut c = conn.borrow_mut();
            if c.stopped {
                return;
            }
            c.attempts += 1;
            c.attempts
        };
        let base = (500.0 * 2f64.powi(attempts.min(6) as i32 - 1)).min(30_000.0);
        let delay = base * (0.5 + js_sys::Math::random());
        let next = conn.clone();
        let timer = Timeout::new(delay as u32, move || open(live, on_event, next));
        conn.borrow_mut().reconnect = Some(timer);
    }
}

/// The session is gone (logged out, deactivated, expired): load the log-in
/// page, which also drops every bit of this tab's state.
pub fn signed_out() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().set_href("/login");
}

/// Tells the other members of `conversation_id` that this person is typing
/// (over the socket; nothing when there is none — typing is not worth a
/// request of its own).
pub fn send_typing(conversation_id: i32) {
    #[cfg(feature = "hydrate")]
    {
        let frame = crate::chat::model::ClientFrame::Typing { conversation_id };
        if let Ok(text) = serde_json::to_string(&frame) {
            browser::send(&text);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = conversation_id;
}

/// A running live connection; `stop` ends it (browser only).
pub struct Connection {
    #[cfg(feature = "hydrate")]
    conn: std::rc::Rc<std::cell::RefCell<browser::Conn>>,
}

impl Connection {
    pub fn stop(&self) {
        #[cfg(feature = "hydrate")]
        browser::stop(&self.conn);
    }
}

/// Opens the live connection (browser only) and feeds each event to `on_event`.
pub fn start(live: Live, on_event: impl Fn(Incoming) + 'static) -> Connection {
    #[cfg(feature = "hydrate")]
    {
        Connection {
            conn: browser::start(live, std::rc::Rc::new(on_event)),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (live, on_event);
        Connection {}
    }
}
