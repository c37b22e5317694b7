//! The People panel: everyone else, with a live presence dot and unread count,
//! recent conversations first; the sidebar's filter box narrows the list. The list is
//! fetched once (and again on `resync`); live messages and read markers move
//! it through `Chat::activity`, with no refetch.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{
    api::list_people,
    badge::{Badges, Waiting},
    model::Person,
    state::{Activity, use_chat},
};

/// `person` as fetched, moved forward by what happened live since.
fn with_activity(mut person: Person, activity: Option<&Activity>) -> Person {
    let Some(a) = activity else { return person };
    let fetched_last = person.last_message_id.unwrap_or(0);
    if a.read_up_to >= fetched_last {
        person.unread = 0;
        person.mentions = 0;
    }
    let newer = |ids: &[i64]| ids.iter().filter(|id| **id > fetched_last).count() as u32;
    person.unread = (person.unread + newer(&a.unread_ids)).min(100);
    person.mentions = (person.mentions + newer(&a.mention_ids)).min(100);
    if a.last_message_id > fetched_last {
        person.last_message_id = Some(a.last_message_id);
    }
    person
}

/// Recent conversations first (newest first), then everyone else by name
/// (usernames are ASCII: `auth::rules`).
fn panel_order(a: &Person, b: &Person) -> std::cmp::Ordering {
    b.last_message_id.cmp(&a.last_message_id).then_with(|| {
        a.username
            .to_ascii_lowercase()
            .cmp(&b.username.to_ascii_lowercase())
    })
}

#[component]
pub fn PeoplePanel(
    #[prop(into)] current: Signal<Option<String>>,
    /// What the sidebar's filter box holds.
    #[prop(into)]
    filter: Signal<String>,
) -> impl IntoView {
    let chat = use_chat();
    // Refetched on `resync`, and when someone not on the list writes or
    // comes online (they joined after the list was fetched: their direct
    // conversation or their presence arrived live) — once per such person.
    let newcomers = RwSignal::new(0u32);
    let people = Resource::new(
        move || (chat.resync.get(), newcomers.get()),
        |_| list_people(),
    );
    let asked = StoredValue::new(crate::chat::state::IdSet::<i32>::new());
    Effect::new(move |_| {
        let Some(Ok(list)) = people.get() else { return };
        let me = chat.me.with_value(|m| m.id);
        let unknown: Vec<i32> = chat.directs.with(|directs| {
            chat.online.with(|online| {
                directs
                    .keys()
                    .chain(online.iter().filter(|id| **id != me))
                    .filter(|id| !list.iter().any(|p| p.id == **id))
                    .filter(|id| !asked.with_value(|a| a.contains(*id)))
                    .copied()
                    .collect()
            })
        });
        if !unknown.is_empty() {
            asked.update_value(|a| a.extend(unknown));
            newcomers.update(|n| *n += 1);
        }
    });
    // The people as shown: fetched, then moved by live events and levels.
    let entries = Memo::new(move |_| {
        let fetched = people.get().and_then(Result::ok).unwrap_or_default();
        let mut list: Vec<(Person, Option<i32>)> = chat.activity.with(|act| {
            fetched
                .into_iter()
                .map(|p| {
                    let conversation = p.conversation_id.or_else(|| chat.direct_with(p.id));
                    let mut p = with_activity(p, conversation.and_then(|c| act.get(&c)));
                    if let Some(c) = conversation {
                        p.notify = chat.level(c, p.notify);
                    }
                    (p, conversation)
                })
                .collect()
        });
        list.sort_by(|a, b| panel_order(&a.0, &b.0));
        list
    });
    // What each direct conversation adds to the tab title, and its level.
    let shown_before = StoredValue::new(Vec::<i32>::new());
    Effect::new(move |_| {
        entries.with(|list| {
            let with_conversation = || list.iter().filter_map(|(p, c)| Some((p, (*c)?)));
            let counts = with_conversation().map(|(p, c)| (c, waiting(p).counted()));
            chat.set_badges(shown_before, counts.collect());
            chat.remember_levels(with_conversation().map(|(p, c)| (c, p.notify)));
        })
    });
    view! {
        <section class="people-section" aria-label="Direct messages">
            <div class="section-head"><h2>"Direct messages"</h2></div>
            <Transition fallback=|| view! { <p class="people-empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    if people.await.unwrap_or_default().is_empty() {
                        return view! { <p class="people-empty">"No one else is here yet."</p> }.into_any();
                    }
                    view! {
                        <ul class="people-list">
                            <For
                                each=move || entries.get().into_iter().map(|(p, _)| p)
                                key=|p| (p.id, p.unread, p.mentions, p.notify, p.last_message_id)
                                let:p
                            >
                                {
                                    let name = p.username.clone();
                                    let key = super::filter::key(&name);
                                    let href = format!("/dm/{name}");
                                    let id = p.id;
                                    let shown = move || filter.with(|f| super::filter::shows(&key, f));
                                    let active = {
                                        let name = name.clone();
                                        move || current.get().is_some_and(|c| c.eq_ignore_ascii_case(&name))
                                    };
                                    let w = waiting(&p);
                                    view! {
                                        <li class:hidden=move || !shown() class:active=active class:unread=w.bold() class:muted=w.muted()>
                                            <A href=href attr:class="person">
                                                <span
                                                    class="dot"
                                                    class:online=move || chat.online.with(|o| o.contains(&id))
                                                    aria-label=move || if chat.online.with(|o| o.contains(&id)) { "online" } else { "offline" }
                                                ></span>
                                                <span class="person-name">{name.clone()}</span>
                                                <Badges waiting=w />
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

fn waiting(p: &Person) -> Waiting {
    Waiting {
        unread: p.unread,
        mentions: p.mentions,
        notify: p.notify,
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
            mentions: 0,
            notify: crate::chat::model::Notify::All,
            last_message_id: last,
            conversation_id: None,
        }
    }

    #[test]
    fn live_messages_add_to_unread_and_move_the_conversation_up() {
        let a = Activity {
            last_message_id: 12,
            unread_ids: vec![9, 11, 12],
            mention_ids: vec![12],
            read_up_to: 0,
        };
        // 9 was already counted in the fetched list (its last id was 10).
        let p = with_activity(person(1, "amy", Some(10), 2), Some(&a));
        assert_eq!((p.unread, p.mentions, p.last_message_id), (4, 1, Some(12)));
        let mut list = [person(2, "bob", Some(11), 0), p, person(3, "cy", None, 0)];
        list.sort_by(panel_order);
        let names: Vec<_> = list.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(names, ["amy", "bob", "cy"]);
    }

    #[test]
    fn reading_clears_what_was_fetched_and_what_arrived() {
        let a = Activity {
            last_message_id: 10,
            unread_ids: vec![],
            mention_ids: vec![],
            read_up_to: 10,
        };
        let p = with_activity(person(1, "amy", Some(10), 5), Some(&a));
        assert_eq!(p.unread, 0);
    }
}
