//! `/admin/rooms`: every room with its members, messages and last activity;
//! archive or delete one (its members see it happen live; the audit log
//! records it). A room's messages are moderated from the Messages page.

use leptos::prelude::*;

use super::{ConfirmButton, Outcome, OutcomeLine, run, when};
use crate::admin::api::{admin_archive_room, admin_delete_room, admin_rooms};

#[component]
pub fn RoomsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let outcome = RwSignal::new(Outcome::Idle);
    let list = Resource::new(move || version.get(), |_| admin_rooms());
    let archive = move |id: i32| {
        run(outcome, admin_archive_room(id), move |()| {
            version.update(|v| *v += 1);
            format!("Room #{id} archived.")
        });
    };
    let delete = move |id: i32| {
        run(outcome, admin_delete_room(id), move |()| {
            version.update(|v| *v += 1);
            format!("Room #{id} deleted.")
        });
    };
    view! {
        <h1>"Rooms"</h1>
        <OutcomeLine outcome=outcome />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rooms) if rooms.is_empty() => view! { <p class="muted">"No rooms yet."</p> }.into_any(),
                    Ok(rooms) => view! {
                        <table class="admin-table" data-testid="rooms-table">
                            <thead><tr><th>"Room"</th><th>"Visibility"</th><th>"Members"</th><th>"Messages"</th><th>"Last activity"</th><th></th></tr></thead>
                            <tbody>
                                {rooms.into_iter().map(|r| {
                                    let id = r.id;
                                    view! {
                                        <tr>
                                            <td>{format!("#{}", r.name)}{r.archived.then(|| view! { " " <span class="tag">"archived"</span> })}</td>
                                            <td>{if r.is_public { "public" } else { "private" }}</td>
                                            <td>{r.members}</td>
                                            <td>{r.messages}</td>
                                            <td>{r.last_activity.map(when).unwrap_or_default()}</td>
                                            <td>
                                                {(!r.archived).then(|| view! {
                                                    <ConfirmButton label="Archive" question="Archive this room? It stays readable."
                                                        confirm="Yes, archive" on_confirm=move |_| archive(id) />
                                                })}
                                                <ConfirmButton label="Delete" question="Delete this room and all its messages?"
                                                    confirm="Yes, delete" on_confirm=move |_| delete(id) />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
