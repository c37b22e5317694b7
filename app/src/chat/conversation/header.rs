//! The conversation's header: the person and their presence, or the room's
//! name, topic and member count — which opens the members panel — and the
//! member's notification level for it.

use leptos::{prelude::*, task::spawn_local};

use super::history::Loaded;
use crate::chat::{
    api::set_notify,
    model::{Kind, Notify},
    rooms_ui::lazy::members_panel,
    state::{Target, use_chat},
};

/// "Notify me about": all messages, mentions, or nothing, for this
/// conversation (shown once it exists).
#[component]
fn NotifyPicker(loaded: RwSignal<Option<Loaded>>) -> impl IntoView {
    let chat = use_chat();
    let conversation = move || {
        loaded.with(|l| {
            let l = l.as_ref()?;
            let kind = if l.room.is_some() {
                Kind::Room
            } else {
                Kind::Direct
            };
            let id = l
                .conversation_id
                .or_else(|| l.peer_id.and_then(|p| chat.direct_with(p)))?;
            Some((id, kind))
        })
    };
    let error = RwSignal::new(None::<String>);
    move || {
        conversation().map(|(id, kind)| {
            let level = move || chat.level(id, Notify::default_for(kind));
            let on_change = move |ev| {
                let Some(notify) = Notify::parse(&event_target_value(&ev)) else { return };
                chat.levels.update(|l| {
                    l.insert(id, notify);
                });
                spawn_local(async move {
                    let r = set_notify(id, notify.as_str().to_owned()).await;
                    error.try_set(r.err().map(|e| e.to_string()));
                });
            };
            view! {
                <label class="notify-level">
                    <span class="visually-hidden">"Notifications"</span>
                    <select aria-label="Notifications" on:change=on_change>
                        {[(Notify::All, "All messages"), (Notify::Mentions, "Mentions only"), (Notify::Nothing, "Nothing")]
                            .into_iter()
                            .map(|(n, label)| view! {
                                <option value=n.as_str() selected=move || level() == n prop:selected=move || level() == n>{label}</option>
                            })
                            .collect_view()}
                    </select>
                </label>
                {move || error.get().map(|e| view! { <span class="form-error" role="alert">{e}</span> })}
            }
        })
    }
}

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
                    <NotifyPicker loaded=loaded />
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
                    <NotifyPicker loaded=loaded />
                </header>
                <Suspense fallback=|| ()>
                    {move || show_members.get().then(|| Suspend::new(async move { members_panel(id).await }))}
                </Suspense>
            }
            .into_any()
        }
    }
}
