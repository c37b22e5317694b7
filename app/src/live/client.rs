//! The browser's live connection: one WebSocket per tab.
//!
//! It connects with `?after=<last message id this tab has>`, so the server
//! replays whatever the tab missed before sending live events. When the socket
//! closes, or stays silent past the heartbeat window, it reconnects with
//! exponential backoff and jitter. While there is no socket, the tab polls
//! `messages_since` every 2 s so messages still arrive; a 401 there (or a
//! `signed_out` event) sends the tab to the log-in page.
//! Only compiled into the browser build; on the server `start` does nothing.

use leptos::prelude::*;

use crate::chat::model::Event;

/// What the rest of the UI sees of the connection.
#[derive(Clone, Copy)]
pub struct Live {
    /// True while a socket is open.
    pub connected: RwSignal<bool>,
    /// The newest message id this tab has (the resume point).
    pub last_id: RwSignal<i64>,
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{cell::RefCell, rc::Rc};

    use gloo_timers::callback::{Interval, Timeout};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{MessageEvent, WebSocket};

    use super::Live;
    use crate::{
        chat::{api::messages_since, model::Event},
        error::AppError,
    };

    const SILENCE_LIMIT_MS: f64 = 50_000.0;

    struct Conn {
        socket: Option<WebSocket>,
        attempts: u32,
        last_frame: f64,
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
        format!("{scheme}://{host}/ws?after={after}")
    }

    pub fn start(live: Live, on_event: Rc<dyn Fn(Event)>) {
        let conn = Rc::new(RefCell::new(Conn {
            socket: None,
            attempts: 0,
            last_frame: now(),
            _closures: Vec::new(),
        }));
        open(live, on_event.clone(), conn.clone());
        // Watchdog: a socket silent past the heartbeat window is dead.
        let watch = conn.clone();
        let interval = Interval::new(10_000, move || {
            let c = watch.borrow();
            if let Some(s) = &c.socket
                && now() - c.last_frame > SILENCE_LIMIT_MS
            {
                let _ = s.close();
            }
        });
        // Fallback: poll while disconnected.
        let poller = Interval::new(2_000, move || {
            if live.connected.get_untracked() {
                return;
            }
            let on_event = on_event.clone();
            let after = live.last_id.get_untracked();
            leptos::task::spawn_local(async move {
                match messages_since(after).await {
                    Ok(messages) => {
                        for message in messages {
                            on_event(Event::Message { message });
                        }
                    }
                    Err(AppError::Unauthorized { .. }) => on_event(Event::SignedOut),
                    Err(_) => {}
                }
            });
        });
        std::mem::forget((interval, poller));
    }

    fn open(live: Live, on_event: Rc<dyn Fn(Event)>, conn: Rc<RefCell<Conn>>) {
        let Ok(socket) = WebSocket::new(&url(live.last_id.get_untracked())) else {
            schedule_reconnect(live, on_event, conn);
            return;
        };
        let c = conn.clone();
        let handler = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            c.borrow_mut().last_frame = now();
            if let Some(text) = ev.data().as_string()
                && let Ok(event) = serde_json::from_str::<Event>(&text)
            {
                if matches!(event, Event::Hello { .. }) {
                    c.borrow_mut().attempts = 0;
                    live.connected.set(true);
                }
                handler(event);
            }
        });
        let c = conn.clone();
        let on_close = Closure::<dyn FnMut()>::new(move || {
            live.connected.set(false);
            c.borrow_mut().socket = None;
            schedule_reconnect(live, on_event.clone(), c.clone());
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
    fn schedule_reconnect(live: Live, on_event: Rc<dyn Fn(Event)>, conn: Rc<RefCell<Conn>>) {
        let attempts = {
            let mut c = conn.borrow_mut();
            c.attempts += 1;
            c.attempts
        };
        let base = (500.0 * 2f64.powi(attempts.min(6) as i32 - 1)).min(30_000.0);
        let delay = base * (0.5 + js_sys::Math::random());
        Timeout::new(delay as u32, move || open(live, on_event, conn)).forget();
    }
}

/// The session is gone (deactivated, logged out everywhere): load the log-in
/// page, which also drops every bit of this tab's state.
pub fn signed_out() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().set_href("/login");
}

/// Opens the live connection (browser only) and feeds each event to `on_event`.
pub fn start(live: Live, on_event: impl Fn(Event) + 'static) {
    #[cfg(feature = "hydrate")]
    browser::start(live, std::rc::Rc::new(on_event));
    #[cfg(not(feature = "hydrate"))]
    let _ = (live, on_event);
}
