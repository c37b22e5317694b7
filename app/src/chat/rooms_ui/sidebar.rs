//! The sidebar's Rooms section: the rooms you are in, newest activity first,
//! with unread marks that move live (narrowed by the sidebar's filter);
//! links to browse and create rooms.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::chat::{
    badge::{Badges, Waiting},
    model::RoomEntry,
    room_api::my_rooms,
    state::{Activity, use_chat},
};

/// `entry` as fetched, moved forward by what happened live since.
fn with_live(mut entry: RoomEntry, activity: Option<&Activity>) -> RoomEntry {
    let Some(a) = activity else { return entry };
    let fetched_last = entry.room.last_message_id;
    if a.read_up_to >= fetched_last {
        entry.unread = 0;
        entry.mentions = 0;
    }
    let newer = |ids: &[i64]| ids.iter().filter(|id| **id > fetched_last).count() as u32;
    entry.unread = (entry.unread + newer(&a.unread_ids)).min(100);
    entry.mentions = (entry.mentions + newer(&a.mention_ids)).min(100);
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
    // The rooms as shown: fetched, then moved by live events and levels.
    let entries = Memo::new(move |_| {
        let fetched = rooms.get().and_then(Result::ok).unwrap_or_default();
        let mut list: Vec<RoomEntry> = chat.activity.with(|act| {
            fetched
                .into_iter()
                .filter(|e| !chat.left.with(|l| l.contains(&e.room.id)))
                .map(|e| {
                    let id = e.room.id;
                    let mut e = with_live(e, act.get(&id));
                    e.notify = chat.level(e.room.id, e.notify);
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
    });
    // What each room adds to the tab title, and its level and name for
    // notifications.
    let shown_before = StoredValue::new(Vec::<i32>::new());
    Effect::new(move |_| {
        entries.with(|list| {
            let counts = list.iter().map(|e| (e.room.id, waiting(e).counted()));
            chat.set_badges(shown_before, counts.collect());
            chat.remember_levels(list.iter().map(|e| (e.room.id, e.notify)));
            chat.remember_rooms(list.iter().map(|e| e.room.clone()));
        })
    });
    view! {
        <section class="rooms" aria-label="Rooms">
            <div class="section-head">
                <h2>"Rooms"</h2>
                <A href="/rooms" attr:class="section-link">"Browse rooms"</A>
                <A href="/rooms/new" attr:class="section-link">"New room"</A>
            </div>
            <Transition fallback=|| view! { <p class="people-empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let _ = rooms.await;
                    view! {
                        <ul class="people-list room-list">
                            <For
                                each=move || entries.get()
                                key=|e| (e.room.id, e.unread, e.mentions, e.notify, e.room.last_message_id, e.room.name.clone())
                                let:e
                            >
                                {
                                    let id = e.room.id;
                                    let href = format!("/rooms/{id}");
                                    let key = crate::chat::filter::key(&e.room.name);
                                    let shown = move || filter.with(|f| crate::chat::filter::shows(&key, f));
                                    let w = waiting(&e);
                                    view! {
                                        <li
                                            class:active=move || current.get() == Some(id)
                                            class:hidden=move || !shown()
                                            class:unread=w.bold()
                                            class:muted=w.muted()
                                        >
                                            <A href=href attr:class="person">
                                                <span class="hash" aria-hidden="true">"#"</span>
                                                <span class="person-name">{e.room.name.clone()}</span>
                                                <Badges waiting=w />
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

fn waiting(e: &RoomEntry) -> Waiting {
    Waiting {
        unread: e.unread,
        mentions: e.mentions,
        notify: e.notify,
    }
}
