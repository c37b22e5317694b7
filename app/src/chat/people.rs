//! The People panel: everyone else, with a live presence dot and unread count,
//! recent conversations first; a filter box narrows the list.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{api::list_people, state::use_chat};

#[component]
pub fn PeoplePanel(#[prop(into)] current: Signal<Option<String>>) -> impl IntoView {
    let chat = use_chat();
    let people = Resource::new(move || chat.people_version.get(), |_| list_people());
    let (filter, set_filter) = signal(String::new());
    view! {
        <aside class="people" aria-label="People">
            <h2>"People"</h2>
            <input
                class="people-filter"
                type="search"
                placeholder="Filter people"
                aria-label="Filter people"
                on:input=move |ev| set_filter.set(event_target_value(&ev))
            />
            <Transition fallback=|| view! { <p class="people-empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = people.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="people-empty">"No one else is here yet."</p> }.into_any();
                    }
                    view! {
                        <ul class="people-list">
                            {list
                                .into_iter()
                                .map(|p| {
                                    let name = p.username.clone();
                                    let key = name.to_lowercase();
                                    let href = format!("/chats/{name}");
                                    let id = p.id;
                                    let shown = move || filter.with(|f| key.contains(&f.trim().to_lowercase()));
                                    let active = {
                                        let name = name.clone();
                                        move || current.get().is_some_and(|c| c.eq_ignore_ascii_case(&name))
                                    };
                                    view! {
                                        <li class:hidden=move || !shown() class:active=active>
                                            <A href=href attr:class="person">
                                                <span
                                                    class="dot"
                                                    class:online=move || chat.online.with(|o| o.contains(&id))
                                                    aria-label=move || if chat.online.with(|o| o.contains(&id)) { "online" } else { "offline" }
                                                ></span>
                                                <span class="person-name">{name.clone()}</span>
                                                {(p.unread > 0).then(|| {
                                                    let label = if p.unread >= 100 { "99+".to_string() } else { p.unread.to_string() };
                                                    view! { <span class="badge" aria-label="unread messages">{label}</span> }
                                                })}
                                            </A>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                })}
            </Transition>
        </aside>
    }
}
