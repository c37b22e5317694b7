//! `/admin/audit`: every admin action, newest first, read-only, filtered by
//! action, by who did it and by whom it was done to.

use leptos::prelude::*;

use super::{Pager, field_errors, when};
use crate::admin::{
    api::admin_audit,
    model::{ACTIONS, action_label},
};
use crate::error::AppError;

#[component]
pub fn AuditPage() -> impl IntoView {
    let action = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let applied = RwSignal::new((String::new(), String::new()));
    let page = RwSignal::new(1u64);
    let list = Resource::new(
        move || (action.get(), applied.get(), page.get()),
        |(action, (actor, target), page)| {
            admin_audit(Some(action), Some(actor), Some(target), Some(page))
        },
    );
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set((actor.get_untracked(), target.get_untracked()));
        page.set(1);
    };

    view! {
        <h1>"Audit log"</h1>
        <form class="filters" on:submit=apply>
            <select aria-label="Action" on:change=move |ev| { action.set(event_target_value(&ev)); page.set(1); }>
                <option value="">"Every action"</option>
                {ACTIONS.iter().map(|(code, label)| view! { <option value=*code>{*label}</option> }).collect_view()}
            </select>
            <label>"By" <input id="a-actor" placeholder="admin" on:input=move |ev| actor.set(event_target_value(&ev)) /></label>
            <label>"To" <input id="a-target" placeholder="user" on:input=move |ev| target.set(event_target_value(&ev)) /></label>
            <button type="submit" class="primary">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) if l.entries.is_empty() => view! { <p class="muted">"Nothing recorded yet."</p> }.into_any(),
                    Ok(l) => view! {
                        <Pager page=page pages=Some(l.pages) has_more=l.page < l.pages />
                        <table class="admin-table" data-testid="audit-table">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"To whom"</th><th>"Details"</th></tr></thead>
                            <tbody>
                                {l.entries.into_iter().map(|e| view! {
                                    <tr data-action=e.action.clone()>
                                        <td>{when(e.created_at)}</td>
                                        <td>{e.actor}</td>
                                        <td>{action_label(&e.action).to_owned()}</td>
                                        <td>{e.target.unwrap_or_default()}</td>
                                        <td>
                                            {e.message_id.map(|id| format!("message #{id} "))}
                                            {e.detail}
                                        </td>
                                    </tr>
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
