//! `/admin/messages`: search every conversation — by one or both
//! participants, text and date range (UTC) — newest first, 50 a page, and
//! delete a message (it disappears from both participants' open chats).

use leptos::prelude::*;

use super::{ConfirmButton, Outcome, OutcomeLine, Pager, field_errors, run, when};
use crate::admin::api::{admin_delete_message, admin_messages};
use crate::error::AppError;

#[derive(Clone, Default, PartialEq)]
struct Query {
    user_a: String,
    user_b: String,
    text: String,
    from: String,
    to: String,
}

#[component]
pub fn MessagesPage() -> impl IntoView {
    let draft = RwSignal::new(Query::default());
    let query = RwSignal::new(Query::default());
    let page = RwSignal::new(1u64);
    let version = RwSignal::new(0u32);
    let outcome = RwSignal::new(Outcome::Idle);
    let list = Resource::new(
        move || (query.get(), page.get(), version.get()),
        |(q, page, _)| {
            admin_messages(
                Some(q.user_a),
                Some(q.user_b),
                Some(q.text),
                Some(q.from),
                Some(q.to),
                Some(page),
            )
        },
    );
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(draft.get_untracked());
        page.set(1);
    };
    let input = move |ev: leptos::ev::Event, set: fn(&mut Query, String)| {
        let value = event_target_value(&ev);
        draft.update(|q| set(q, value));
    };
    let delete = move |id: i64| {
        run(outcome, admin_delete_message(id), move |()| {
            version.update(|v| *v += 1);
            format!("Message #{id} deleted.")
        });
    };

    view! {
        <h1>"Messages"</h1>
        <form class="filters" on:submit=search>
            <label>"Between" <input id="q-user_a" placeholder="username" on:input=move |ev| input(ev, |q, v| q.user_a = v) /></label>
            <label>"and" <input id="q-user_b" placeholder="anyone" on:input=move |ev| input(ev, |q, v| q.user_b = v) /></label>
            <label>"Text" <input id="q-text" type="search" on:input=move |ev| input(ev, |q, v| q.text = v) /></label>
            <label>"From" <input id="q-from" type="date" on:input=move |ev| input(ev, |q, v| q.from = v) /></label>
            <label>"To" <input id="q-to" type="date" on:input=move |ev| input(ev, |q, v| q.to = v) /></label>
            <button type="submit" class="primary">"Search"</button>
        </form>
        <OutcomeLine outcome=outcome />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) if l.messages.is_empty() => view! { <p class="muted">"No messages match."</p> }.into_any(),
                    Ok(l) => view! {
                        <Pager page=page pages=None has_more=l.has_more />
                        <table class="admin-table" data-testid="messages-table">
                            <thead><tr><th>"Sent"</th><th>"From"</th><th>"To"</th><th>"Message"</th><th></th></tr></thead>
                            <tbody>
                                {l.messages.into_iter().map(|m| {
                                    let id = m.id;
                                    view! {
                                        <tr data-testid=format!("message-{id}")>
                                            <td>{when(m.created_at)}</td>
                                            <td>{m.sender}</td>
                                            <td>{m.recipient}</td>
                                            <td class="message-body">{m.body}</td>
                                            <td>
                                                <ConfirmButton label="Delete" question="Delete this message for both people?"
                                                    confirm="Yes, delete" on_confirm=move |_| delete(id) />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(AppError::Validation { fields }) => field_errors(fields).into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
