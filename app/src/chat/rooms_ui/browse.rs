//! "Browse rooms": the public rooms, with Join (or Open when you are in).

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

use crate::chat::room_api::{browse_rooms, join_room};

#[component]
pub fn BrowseRooms() -> impl IntoView {
    let rooms = Resource::new(|| (), |_| browse_rooms());
    let error = RwSignal::new(None::<String>);
    view! {
        <section class="conversation pane" aria-label="Browse rooms">
            <header class="conversation-head">
                <a href="/" class="back" aria-label="Back to conversations">"‹"</a>
                <h2>"Browse rooms"</h2>
            </header>
            <div class="pane-body">
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let list = rooms.await.unwrap_or_default();
                        if list.is_empty() {
                            return view! { <p class="muted">"No public rooms yet. "<A href="/rooms/new">"Create one"</A></p> }.into_any();
                        }
                        view! {
                            <ul class="room-cards">
                                {list.into_iter().map(|entry| {
                                    let id = entry.room.id;
                                    let name = entry.room.name.clone();
                                    let join = move |_| {
                                        spawn_local(async move {
                                            match join_room(id).await {
                                                Ok(_) => use_navigate()(&format!("/rooms/{id}"), NavigateOptions::default()),
                                                Err(e) => { error.try_set(Some(e.to_string())); }
                                            }
                                        });
                                    };
                                    view! {
                                        <li class="room-card">
                                            <div>
                                                <strong>{format!("#{}", entry.room.name)}</strong>
                                                <span class="muted">{format!(" · {} members", entry.room.member_count)}</span>
                                                <p class="muted">{entry.room.topic.clone()}</p>
                                            </div>
                                            {if entry.joined {
                                                view! { <A href=format!("/rooms/{id}")>"Open"</A> }.into_any()
                                            } else {
                                                view! { <button type="button" class="primary" aria-label=format!("Join {name}") on:click=join>"Join"</button> }.into_any()
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })}
                </Transition>
            </div>
        </section>
    }
}
