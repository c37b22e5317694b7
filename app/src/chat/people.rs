//! The People panel: everyone else, with a live presence dot and unread count,
//! recent conversations first; the sidebar's filter box narrows the list. The list is
//! fetched once (and again on `resync`); live messages and read markers move
//! it through `Chat::activity`, with no refetch.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{
    api::list_people,
    model::Person,
    state::{Activity, use_chat},
};

/// `person` as fetched, moved forward by what happened live since.
fn with_activity(mut person: Person, activity: Option<&Activity>) -> Person {
    let Some(a) = activity else { return person };
    let fetched_last = person.last_message_id.unwrap_or(0);
    if a.read_up_to >= fetched_last {
        person.unread = 0;
    }
    let live_unread = a.unread_ids.iter().filter(|id| **id > fetched_last).count() as u32;
    person.unread = (person.unread + live_unread).min(100);
    if a.last_message_id > fetched_last {
        person.last_message_id = Some(a.last_message_id);
    }
    person
}

/// Recent conversations first (newest first), then everyone else by name.
fn in_panel_order(people: &mut [Person]) {
    people.sort_by(|a, b| {
        b.last_message_id
            .cmp(&a.last_message_id)
            .then_with(|| a.username.to_lowercase().cmp(&b.username.to_lowercase()))
    });
}

#[component]
pub fn PeoplePanel(
    #[prop(into)] current: Signal<Option<String>>,
    /// What the sidebar's filter box holds.
    #[prop(into)]
    filter: Signal<String>,
) -> impl IntoView {
    let chat = use_chat();
    // Refetched on `resync`, and when someone not on the list writes (they
    // joined after the list was fetched: their direct conversation arrived
    // live) — once per such person.
    let newcomers = RwSignal::new(0u32);
    let people = Resource::new(
        move || (chat.resync.get(), newcomers.get()),
        |_| list_people(),
    );
    let asked = StoredValue::new(std::collections::HashSet::<i32>::new());
    Effect::new(move |_| {
        let Some(Ok(list)) = people.get() else { return };
        let unknown: Vec<i32> = chat.directs.with(|directs| {
            directs
                .keys()
                .filter(|id| !list.iter().any(|p| p.id == **id))
                .filter(|id| !asked.with_value(|a| a.contains(*id)))
                .copied()
                .collect()
        });
        if !unknown.is_empty() {
            asked.update_value(|a| a.extend(unknown));
            newcomers.update(|n| *n += 1);
        }
    });
    view! {
        <section class="people-section" aria-label="Direct messages">
            <div class="section-head"><h2>"Direct messages"</h2></div>
            <Transition fallback=|| view! { <p class="people-empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let fetched = people.await.unwrap_or_default();
                    if fetched.is_empty() {
                        return view! { <p class="people-empty">"No one else is here yet."</p> }.into_any();
                    }
                    let list = move || {
                                let mut list: Vec<Person> = chat.activity.with(|act| {
                                    fetched.iter().cloned().map(|p| {
                                        let conversation = p.conversation_id.or_else(|| chat.direct_with(p.id));
                                        let a = conversation.and_then(|c| act.get(&c));
                                        with_activity(p, a)
                                    }).collect()
                                });
                                in_panel_order(&mut list);
                                list
                            };
                    view! {
                        <ul class="people-list">
                            <For each=list key=|p| (p.id, p.unread, p.last_message_id) let:p>
                                {
                                    let name = p.username.clone();
                                    let key = name.to_lowercase();
                                    let href = format!("/dm/{name}");
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
                                }
                            </For>
                        </ul>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i32, name: &str, last: Option<i64>, unread: u32) -> Person {
        Person {
            id,
            username: name.into(),
            online: false,
            unread,
            last_message_id: last,
            conversation_id: None,
        }
    }

    #[test]
    fn live_messages_add_to_unread_and_move_the_conversation_up() {
        let a = Activity {
            last_message_id: 12,
            unread_ids: vec![9, 11, 12],
            read_up_to: 0,
        };
        // 9 was already counted in the fetched list (its last id was 10).
        let p = with_activity(person(1, "amy", Some(10), 2), Some(&a));
        assert_eq!((p.unread, p.last_message_id), (4, Some(12)));
        let mut list = vec![person(2, "bob", Some(11), 0), p, person(3, "cy", None, 0)];
        in_panel_order(&mut list);
        let names: Vec<_> = list.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(names, ["amy", "bob", "cy"]);
    }

    #[test]
    fn reading_clears_what_was_fetched_and_what_arrived() {
        let a = Activity {
            last_message_id: 10,
            unread_ids: vec![],
            read_up_to: 10,
        };
        let p = with_activity(person(1, "amy", Some(10), 5), Some(&a));
        assert_eq!(p.unread, 0);
    }
}
