//! Sends waiting for their answer, shown after the history: "Sending…",
//! or "Not sent" with Retry.

use leptos::prelude::*;

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
