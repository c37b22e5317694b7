//! The conversation's header: the person and their presence, or the room's
//! name, topic and member count — which opens the members panel.

use leptos::prelude::*;

use super::Loaded;
use crate::chat::{
    rooms_ui::lazy::members_panel,
    state::{Target, use_chat},
};

#[component]
pub fn Header(
    #[prop(into)] target: Signal<Target>,
    loaded: RwSignal<Option<Loaded>>,
) -> impl IntoView {
    let chat = use_chat();
    let show_members = RwSignal::new(false);
    Effect::new(move |_| {
        target.track();
        show_members.set(false);
    });
    move || match target.get() {
        Target::Direct(name) => {
            let peer = move || loaded.with(|l| l.as_ref().and_then(|l| l.peer_id));
            view! {
                <header class="conversation-head">
                    <a href="/" class="back" aria-label="Back to conversations">"‹"</a>
                    <h2>{name}</h2>
                    {move || {
                        let on = peer().is_some_and(|p| chat.online.with(|o| o.contains(&p)));
                        view! { <span class="presence" class:online=on>{if on { "online" } else { "offline" }}</span> }
                    }}
                </header>
            }
            .into_any()
        }
        Target::Room(id) => {
            // The latest the tab knows: a rename or archive arrives live.
            let room = move || {
                chat.rooms
                    .with(|r| r.get(&id).cloned())
                    .or_else(|| loaded.with(|l| l.as_ref().and_then(|l| l.room.clone())))
            };
            view! {
                <header class="conversation-head">
                    <a href="/" class="back" aria-label="Back to conversations">"‹"</a>
                    <h2>{move || room().map(|r| r.name).unwrap_or_default()}</h2>
                    <span class="topic">{move || room().map(|r| r.topic).unwrap_or_default()}</span>
                    {move || room().is_some_and(|r| r.archived).then(|| view! { <span class="tag">"archived"</span> })}
                    <button
                        type="button"
                        class="link members-toggle"
                        aria-expanded=move || show_members.get().to_string()
                        on:click=move |_| show_members.update(|s| *s = !*s)
                    >
                        {move || {
                            let n = room().map_or(0, |r| r.member_count);
                            if n == 1 { "1 member".to_string() } else { format!("{n} members") }
                        }}
                    </button>
                </header>
                <Suspense fallback=|| ()>
                    {move || show_members.get().then(|| Suspend::new(async move { members_panel(id).await }))}
                </Suspense>
            }
            .into_any()
        }
    }
}
