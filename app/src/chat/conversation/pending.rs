//! Sends waiting for their answer, shown after the history: "Sending…",
//! or "Not sent" with Retry. `Outbox` sends them (the `send` server
//! function) and swaps each for the stored message when it is answered.

use leptos::{prelude::*, task::spawn_local};

use crate::chat::{
    api::send_message,
    state::{Chat, Target},
};

/// A new client id for a send (the server stores a message once per id).
pub fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let r = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
        format!("c{:x}{:08x}{:08x}", js_sys::Date::now() as u64, r(), r())
    }
    #[cfg(not(feature = "hydrate"))]
    String::from("server-render")
}

/// The sends of the conversation `target` names that have no answer yet.
#[derive(Clone, Copy)]
pub struct Outbox {
    target: Signal<Target>,
    chat: Chat,
    pub pending: RwSignal<Vec<Pending>>,
}

impl Outbox {
    pub fn new(target: Signal<Target>, chat: Chat) -> Self {
        Self {
            target,
            chat,
            pending: RwSignal::new(Vec::new()),
        }
    }

    /// Shows `p` as sending and sends it.
    pub fn send(self, p: Pending) {
        self.pending.update(|v| v.push(p.clone()));
        self.deliver(p);
    }

    /// Shows a failed send as sending again and sends it.
    pub fn retry(self, again: Pending) {
        self.pending.update(|v| {
            if let Some(x) = v.iter_mut().find(|x| x.client_id == again.client_id) {
                x.failed = false;
            }
        });
        self.deliver(again);
    }

    fn deliver(self, p: Pending) {
        let (to, room) = match self.target.get_untracked() {
            Target::Direct(peer) => (peer, None),
            Target::Room(id) => (String::new(), Some(id)),
        };
        let Self { pending, chat, .. } = self;
        spawn_local(async move {
            // The pane may have closed meanwhile: `try_` writes.
            let ids: Vec<String> = p.attachments.iter().map(|a| a.id.clone()).collect();
            match send_message(
                to,
                room,
                p.body.clone(),
                p.client_id.clone(),
                p.reply_to,
                ids.join(","),
            )
            .await
            {
                Ok(message) => {
                    pending.try_update(|v| v.retain(|x| x.client_id != p.client_id));
                    chat.add_message(message);
                }
                Err(_) => {
                    pending.try_update(|v| {
                        if let Some(x) = v.iter_mut().find(|x| x.client_id == p.client_id) {
                            x.failed = true;
                        }
                    });
                }
            }
        });
    }
}

#[derive(Clone, PartialEq)]
pub struct Pending {
    pub client_id: String,
    pub body: String,
    pub reply_to: Option<i64>,
    pub attachments: Vec<crate::chat::model::Attachment>,
    pub failed: bool,
}

#[component]
pub fn PendingItem(
    pending: Pending,
    /// Marks it as sending again and sends it.
    retry: Callback<Pending>,
) -> impl IntoView {
    let failed = pending.failed;
    let body = pending.body.clone();
    view! {
        <article class="message mine pending" class:failed=failed>
            <p class="message-body">{body}</p>
            {if failed {
                view! {
                    <span class="send-failed">"Not sent. "
                        <button type="button" class="link" on:click=move |_| {
                            let mut again = pending.clone();
                            again.failed = false;
                            retry.run(again);
                        }>"Retry"</button>
                    </span>
                }.into_any()
            } else {
                view! { <span class="sending">"Sending…"</span> }.into_any()
            }}
        </article>
    }
}
