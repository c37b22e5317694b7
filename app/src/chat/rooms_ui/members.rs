//! A room's members panel: who is in it (owners first) with presence; for
//! owners, adding and removing people, renaming, the topic and archiving;
//! for everyone, leaving.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{
    chat::{
        model::Role,
        room_api::{
            add_members, archive_room, conversation_members, leave_room, remove_member, update_room,
        },
        state::use_chat,
    },
    error::AppError,
};

#[component]
pub fn MembersPanel(conversation_id: i32) -> impl IntoView {
    let chat = use_chat();
    let me = chat.me.with_value(|m| m.id);
    let members = Resource::new(
        move || chat.rooms_version.get(),
        move |_| conversation_members(conversation_id),
    );
    let error = RwSignal::new(None::<String>);
    // Answers can come after the panel closed: `try_` writes.
    let report = move |r: Result<(), AppError>| {
        error.try_set(r.err().map(|e| e.to_string()));
    };
    let adding = RwSignal::new(String::new());
    let (new_name, new_topic) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let room = move || chat.rooms.with(|r| r.get(&conversation_id).cloned());
    Effect::new(move |_| {
        if let Some(r) = room() {
            new_name.set(r.name);
            new_topic.set(r.topic);
        }
    });
    let leave = move |_| {
        spawn_local(async move {
            match leave_room(conversation_id).await {
                Ok(()) => use_navigate()("/", NavigateOptions::default()),
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        })
    };
    view! {
        <aside class="members" aria-label="Members">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = members.await.unwrap_or_default();
                    let owner = list.iter().any(|m| m.user_id == me && m.role == Role::Owner);
                    view! {
                        <ul class="member-list">
                            {list.into_iter().map(|m| {
                                let id = m.user_id;
                                let name = m.username.clone();
                                view! {
                                    <li>
                                        <span class="dot" class:online=move || chat.online.with(|o| o.contains(&id))></span>
                                        <span class="person-name">{m.username.clone()}</span>
                                        {(m.role == Role::Owner).then(|| view! { <span class="tag">"owner"</span> })}
                                        {(owner && id != me).then(|| view! {
                                            <button type="button" class="link" aria-label=format!("Remove {name}") on:click=move |_| {
                                                spawn_local(async move { report(remove_member(conversation_id, id).await) })
                                            }>"Remove"</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {owner.then(|| view! {
                            <form class="editor-row" on:submit=move |ev| {
                                ev.prevent_default();
                                let names = adding.get_untracked();
                                adding.set(String::new());
                                spawn_local(async move { report(add_members(conversation_id, names).await) });
                            }>
                                <input aria-label="Add people" placeholder="usernames" prop:value=move || adding.get() on:input=move |ev| adding.set(event_target_value(&ev)) />
                                <button type="submit" class="secondary">"Add"</button>
                            </form>
                            <form class="editor-row" on:submit=move |ev| {
                                ev.prevent_default();
                                let (name, topic) = (new_name.get_untracked(), new_topic.get_untracked());
                                spawn_local(async move { report(update_room(conversation_id, name, topic).await.map(|_| ())) });
                            }>
                                <input aria-label="Room name" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                                <input aria-label="Topic" prop:value=move || new_topic.get() on:input=move |ev| new_topic.set(event_target_value(&ev)) />
                                <button type="submit" class="secondary">"Save"</button>
                            </form>
                            <button type="button" class="secondary" on:click=move |_| {
                                spawn_local(async move { report(archive_room(conversation_id).await.map(|_| ())) })
                            }>"Archive room"</button>
                        })}
                    }
                })}
            </Transition>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <button type="button" class="secondary" on:click=leave>"Leave room"</button>
        </aside>
    }
}
