//! The sidebar's Rooms section: the rooms you are in, newest activity first,
//! with unread badges that move live (narrowed by the sidebar's filter);
//! links to browse and create rooms.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::chat::{model::RoomEntry, room_api::my_rooms, state::use_chat};

/// `entry` as fetched, moved forward by what happened live since.
fn with_live(mut entry: RoomEntry, activity: Option<&crate::chat::state::Activity>) -> RoomEntry {
    let Some(a) = activity else { return entry };
    let fetched_last = entry.room.last_message_id;
    if a.read_up_to >= fetched_last {
        entry.unread = 0;
    }
    let live = a.unread_ids.iter().filter(|id| **id > fetched_last).count() as u32;
    entry.unread = (entry.unread + live).min(100);
    entry.room.last_message_id = entry.room.last_message_id.max(a.last_message_id);
    entry
}

#[component]
pub fn RoomsPanel(
    #[prop(into)] current: Signal<Option<i32>>,
    /// What the sidebar's filter box holds.
    #[prop(into)]
    filter: Signal<String>,
) -> impl IntoView {
    let chat = use_chat();
    let rooms = Resource::new(
        move || (chat.resync.get(), chat.rooms_version.get()),
        |_| my_rooms(),
    );
    view! {
        <section class="rooms" aria-label="Rooms">
            <div class="section-head">
                <h2>"Rooms"</h2>
                <A href="/rooms" attr:class="section-link">"Browse rooms"</A>
                <A href="/rooms/new" attr:class="section-link">"New room"</A>
            </div>
            <Transition fallback=|| view! { <p class="people-empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let fetched = rooms.await.unwrap_or_default();
                    let list = move || {
                        let mut list: Vec<RoomEntry> = chat.activity.with(|act| {
                            fetched
                                .iter()
                                .filter(|e| !chat.left.with(|l| l.contains(&e.room.id)))
                                .cloned()
                                .map(|e| {
                                    let a = act.get(&e.room.id);
                                    let mut e = with_live(e, a);
                                    if let Some(newer) = chat.rooms.with(|r| r.get(&e.room.id).cloned()) {
                                        let last = e.room.last_message_id;
                                        e.room = newer;
                                        e.room.last_message_id = e.room.last_message_id.max(last);
                                    }
                                    e
                                })
                                .collect()
                        });
                        list.sort_by_key(|e| std::cmp::Reverse(e.room.last_message_id));
                        list
                    };
                    view! {
                        <ul class="people-list room-list">
                            <For each=list key=|e| (e.room.id, e.unread, e.room.last_message_id, e.room.name.clone()) let:e>
                                {
                                    let id = e.room.id;
                                    let href = format!("/rooms/{id}");
                                    let key = e.room.name.to_lowercase();
                                    let shown = move || filter.with(|f| key.contains(&f.trim().to_lowercase()));
                                    view! {
                                        <li class:active=move || current.get() == Some(id) class:hidden=move || !shown()>
                                            <A href=href attr:class="person">
                                                <span class="hash" aria-hidden="true">"#"</span>
                                                <span class="person-name">{e.room.name.clone()}</span>
                                                {(e.unread > 0).then(|| {
                                                    let label = if e.unread >= 100 { "99+".to_string() } else { e.unread.to_string() };
                                                    view! { <span class="badge" aria-label="unread messages">{label}</span> }
                                                })}
                                            </A>
                                        </li>
                                    }
                                }
                            </For>
                        </ul>
                    }
                })}
            </Transition>
        </section>
    }
}
