//! The conversation panel, for a direct conversation (`/dm/:username`) or a
//! room (`/rooms/:id`): history (newest page first, older pages on scrolling
//! up or on jumping to a quoted message), live messages, pending/failed
//! sends with retry (`pending`), and the composer.
//! `header` shows who or what it is (and the notification level); `item` is
//! one entry of the history, with its `actions` (reply, react, `editor`,
//! delete) and `reactions`; `timeline` lays out runs and day separators;
//! `composer` is the text box, with `suggest` completing `@names`.

mod actions;
mod attach;
mod composer;
mod editor;
mod files;
mod header;
mod item;
pub mod lazy;
mod pending;
mod reactions;
mod suggest;
mod timeline;

use leptos::{html, prelude::*, task::spawn_local};

use self::{
    attach::Attachments,
    composer::Composer,
    header::Header,
    item::{Context, MessageItem},
    pending::{Pending, PendingItem},
};
use super::{
    api::{fetch_messages, mark_read, send_message},
    model::{Conversation as Room, Message, Quote},
    room_api::fetch_conversation,
    state::{Target, typing_line, use_chat},
};
use crate::error::AppError;

/// One page of history, whichever kind of conversation.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Loaded {
    /// `None`: a direct conversation that has no message yet.
    pub conversation_id: Option<i32>,
    /// The other person, in a direct conversation.
    pub peer_id: Option<i32>,
    /// How far the other person had read when the page was fetched.
    pub peer_read_id: i64,
    /// The room, in a room.
    pub room: Option<Room>,
    pub messages: Vec<Message>,
    pub has_more: bool,
}

async fn load(target: Target, before: Option<i64>) -> Result<Loaded, AppError> {
    match target {
        Target::Direct(peer) => fetch_messages(peer, before).await.map(|p| Loaded {
            conversation_id: p.conversation_id,
            peer_id: Some(p.peer_id),
            peer_read_id: p.peer_read_id,
            room: None,
            messages: p.messages,
            has_more: p.has_more,
        }),
        Target::Room(id) => fetch_conversation(id, before).await.map(|p| Loaded {
            conversation_id: Some(p.conversation.id),
            peer_id: None,
            peer_read_id: 0,
            room: Some(p.conversation),
            messages: p.messages,
            has_more: p.has_more,
        }),
    }
}

/// Scrolls message `id` into the middle of the history, if it is shown.
fn scroll_to(id: i64) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = document()
        .query_selector(&format!(".messages [data-id=\"{id}\"]"))
        .ok()
        .flatten()
    {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        el.scroll_into_view_with_scroll_into_view_options(&options);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let r = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
        format!("c{:x}{:08x}{:08x}", js_sys::Date::now() as u64, r(), r())
    }
    #[cfg(not(feature = "hydrate"))]
    String::from("server-render")
}

#[component]
pub fn Conversation(#[prop(into)] target: Signal<Target>) -> impl IntoView {
    let chat = use_chat();
    let me = chat.me.with_value(|m| m.id);
    let first = Resource::new(
        move || (target.get(), chat.resync.get()),
        |(target, _)| load(target, None),
    );
    let older = RwSignal::new(Vec::<Message>::new());
    let has_more = RwSignal::new(false);
    let loading_older = RwSignal::new(false);
    let pending = RwSignal::new(Vec::<Pending>::new());
    let list: NodeRef<html::Div> = NodeRef::new();
    let stick = RwSignal::new(true);
    let unseen = RwSignal::new(false);
    let marked = RwSignal::new(0i64);
    let editing = RwSignal::new(None::<i64>);
    let replying = RwSignal::new(None::<Quote>);
    let attachments = Attachments::new();
    let highlighted = RwSignal::new(None::<i64>);
    // Day separators need the reader's time zone: only once hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    Effect::new(move |_| {
        target.track();
        older.set(Vec::new());
        pending.set(Vec::new());
        replying.set(None);
        attachments.clear();
        stick.set(true);
    });

    // What the header needs, kept out of `first` (on the server a resource is
    // read inside its `<Transition>` only).
    let loaded = RwSignal::new(None::<Loaded>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            has_more.set(page.has_more);
            // Live events about the room (renames, joins) apply from here on.
            if let Some(room) = &page.room {
                chat.rooms.update(|r| {
                    r.entry(room.id).or_insert_with(|| room.clone());
                });
            }
            loaded.set(Some(page));
        }
    });
    // The conversation's id: from the page, or — when two people never
    // talked — from the first message either of them sends.
    let conversation_id = Memo::new(move |_| {
        let page = first.get().and_then(Result::ok)?;
        page.conversation_id
            .or_else(|| page.peer_id.and_then(|p| chat.direct_with(p)))
    });

    // Everything shown: older pages, the first page, then live messages.
    let messages = Memo::new(move |_| {
        let Some(Ok(page)) = first.get() else {
            return Vec::new();
        };
        let mut all = older.get();
        all.extend(page.messages.iter().cloned());
        let newest = all.last().map_or(0, |m| m.id);
        if let Some(cid) = conversation_id.get() {
            chat.incoming.with(|inc| {
                all.extend(
                    inc.iter()
                        .filter(|m| m.id > newest && m.conversation_id == cid)
                        .cloned(),
                )
            });
        }
        chat.deleted
            .with(|gone| all.retain(|m| !gone.contains(&m.id)));
        for m in all.iter_mut() {
            chat.current(m);
        }
        all
    });
    let grouped = Memo::new(move |_| messages.with(|all| timeline::runs(all)));
    let days = Memo::new(move |_| {
        if !hydrated.get() {
            return Default::default();
        }
        messages.with(|all| timeline::days(all))
    });

    // Sends still waiting for their answer. One whose message already came
    // back live (the socket can be quicker than the `send` answer) is shown
    // once, as the stored message.
    let unsent = Memo::new(move |_| {
        let waiting = pending.get();
        messages.with(|all| {
            waiting
                .into_iter()
                .filter(|p| {
                    !all.iter()
                        .rev()
                        .any(|m| m.sender_id == me && m.client_id == p.client_id)
                })
                .collect::<Vec<_>>()
        })
    });

    // Mark read up to the newest message from someone else.
    Effect::new(move |_| {
        let all = messages.get();
        if let Some(last) = all.iter().rev().find(|m| m.sender_id != me && !m.system)
            && last.id > marked.get_untracked()
        {
            marked.set(last.id);
            let (conversation, up_to) = (last.conversation_id, last.id);
            spawn_local(async move {
                let _ = mark_read(conversation, up_to).await;
            });
        }
    });

    // Keep the newest message in view unless the reader scrolled up. Whether
    // they did is decided in the frame itself: the browser dispatches a
    // pending scroll event before animation-frame callbacks, so a scroll made
    // just before a message arrived is never overridden by the jump.
    // Only a newer last message counts as unseen: an older page loading at
    // the top, or a deletion, is not news.
    let newest_shown = StoredValue::new(0i64);
    Effect::new(move |_| {
        let newest = messages.with(|all| all.last().map_or(0, |m| m.id));
        let arrived = newest > newest_shown.get_value();
        newest_shown.set_value(newest);
        pending.track();
        if let Some(el) = list.get() {
            // The frame may come after the pane was closed: `try_` reads.
            request_animation_frame(move || {
                if stick.try_get_untracked() == Some(true) {
                    el.set_scroll_top(el.scroll_height());
                } else if arrived {
                    unseen.try_set(true);
                }
            });
        }
    });

    // Loads the page before the oldest message shown; false when nothing
    // was loaded (none left, another load running, or it failed).
    let load_older = move || async move {
        let Some(oldest) = messages.with_untracked(|all| all.first().map(|m| m.id)) else {
            return false;
        };
        if loading_older.get_untracked() || !has_more.get_untracked() {
            return false;
        }
        loading_older.set(true);
        // The pane may close meanwhile: `try_` writes.
        let loaded = match load(target.get_untracked(), Some(oldest)).await {
            Ok(page) => {
                has_more.try_set(page.has_more);
                older.try_update(|o| {
                    let mut merged = page.messages;
                    merged.append(o);
                    *o = merged;
                });
                true
            }
            Err(_) => false,
        };
        loading_older.try_set(false);
        loaded
    };

    let on_scroll = move |_| {
        let Some(el) = list.get() else { return };
        let at_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 60;
        stick.set(at_bottom);
        if at_bottom {
            unseen.set(false);
        }
        if el.scroll_top() < 40 && has_more.get_untracked() && !loading_older.get_untracked() {
            let before_height = el.scroll_height();
            spawn_local(async move {
                if load_older().await
                    && let Some(el) = list.get_untracked()
                {
                    request_animation_frame(move || {
                        el.set_scroll_top(el.scroll_height() - before_height)
                    });
                }
            });
        }
    };

    // Shows message `id`: loads older pages until it is there (or the
    // history ends), then scrolls to it and highlights it for a moment.
    let jump = Callback::new(move |id: i64| {
        spawn_local(async move {
            loop {
                let oldest = messages.with_untracked(|all| all.first().map(|m| m.id));
                let present = messages.with_untracked(|all| all.iter().any(|m| m.id == id));
                let more = has_more.try_get_untracked().unwrap_or(false);
                if present || !more || oldest.is_none_or(|o| o < id) || !load_older().await {
                    break;
                }
            }
            stick.try_set(false);
            highlighted.try_set(Some(id));
            request_animation_frame(move || scroll_to(id));
            set_timeout(
                move || {
                    if highlighted.try_get_untracked() == Some(Some(id)) {
                        highlighted.try_set(None);
                    }
                },
                std::time::Duration::from_secs(2),
            );
        });
    });

    let deliver = move |p: Pending| {
        let (to, room) = match target.get_untracked() {
            Target::Direct(peer) => (peer, None),
            Target::Room(id) => (String::new(), Some(id)),
        };
        spawn_local(async move {
            // The pane may have closed meanwhile: `try_` writes.
            let ids: Vec<String> = p.attachments.iter().map(|a| a.id.clone()).collect();
            match send_message(
                to,
                room,
                p.body.clone(),
                p.client_id.clone(),
                p.reply_to,
                ids.join(","),
            )
            .await
            {
                Ok(message) => {
                    pending.try_update(|v| v.retain(|x| x.client_id != p.client_id));
                    chat.add_message(message);
                }
                Err(_) => {
                    pending.try_update(|v| {
                        if let Some(x) = v.iter_mut().find(|x| x.client_id == p.client_id) {
                            x.failed = true;
                        }
                    });
                }
            }
        });
    };
    let on_send = move |body: String| {
        let p = Pending {
            client_id: new_client_id(),
            body,
            reply_to: replying.get_untracked().map(|q| q.id),
            attachments: attachments.ready(),
            failed: false,
        };
        attachments.clear();
        replying.set(None);
        pending.update(|v| v.push(p.clone()));
        stick.set(true);
        deliver(p);
    };
    let archived = Signal::derive(move || {
        let id = conversation_id.get();
        loaded.with(|l| {
            l.as_ref().and_then(|l| l.room.as_ref()).is_some_and(|r| {
                chat.rooms
                    .with(|rooms| id.and_then(|id| rooms.get(&id)).unwrap_or(r).archived)
            })
        })
    });
    let is_room = Signal::derive(move || matches!(target.get(), Target::Room(_)));
    // "Seen" goes under the newest of one's own messages the other person
    // (direct conversations only) has read.
    let seen_id = Memo::new(move |_| {
        let (cid, fetched) = loaded.with(|l| {
            l.as_ref()
                .filter(|l| l.room.is_none())
                .map(|l| (l.conversation_id, l.peer_read_id))
        })?;
        let live = conversation_id
            .get()
            .or(cid)
            .and_then(|c| chat.seen.with(|s| s.get(&c).copied()))
            .unwrap_or(0);
        let up_to = fetched.max(live);
        messages.with(|all| {
            all.iter()
                .rev()
                .find(|m| m.sender_id == me && !m.system && m.id <= up_to)
                .map(|m| m.id)
        })
    });
    // Up arrow in an empty composer: edit the newest message of one's own.
    let edit_last = move |_: ()| {
        let last = messages.with_untracked(|all| {
            all.iter()
                .rev()
                .find(|m| m.sender_id == me && !m.system && !m.deleted)
                .map(|m| m.id)
        });
        if last.is_some() {
            editing.set(last);
        }
    };

    let retry = Callback::new(move |again: Pending| {
        pending.update(|v| {
            if let Some(x) = v.iter_mut().find(|x| x.client_id == again.client_id) {
                x.failed = false;
            }
        });
        deliver(again);
    });
    let cx = Context {
        in_room: is_room,
        editing,
        replying,
        seen_id: seen_id.into(),
        grouped,
        days,
        highlighted,
        jump,
    };

    view! {
        <section
            class="conversation"
            aria-label="Conversation"
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                #[cfg(feature = "hydrate")]
                if let (Some(id), Some(list)) = (conversation_id.get_untracked(), ev.data_transfer().and_then(|d| d.files())) {
                    attachments.add(id, (0..list.length()).filter_map(|i| list.get(i)).collect());
                }
            }
        >
            <Header target=target loaded=loaded />
            <div class="messages" node_ref=list on:scroll=on_scroll role="log" aria-live="polite">
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match first.await {
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            Ok(_) => view! {
                                {move || loading_older.get().then(|| view! { <p class="loading">"Loading older messages…"</p> })}
                                {move || {
                                    (messages.with(Vec::is_empty) && pending.with(|p| p.is_empty())).then(|| view! {
                                        <p class="conversation-empty">"Send a message to start the conversation."</p>
                                    })
                                }}
                                <For
                                    each=move || messages.get()
                                    key=|m| (m.id, m.edited_at, m.deleted, m.reactions.clone(), m.reply.clone(), m.attachments.clone())
                                    let:m
                                >
                                    <MessageItem message=m cx=cx />
                                </For>
                                <For each=move || unsent.get() key=|p| (p.client_id.clone(), p.failed) let:p>
                                    <PendingItem pending=p retry=retry />
                                </For>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </div>
            {move || unseen.get().then(|| view! {
                <button type="button" class="new-pill" on:click=move |_| {
                    if let Some(el) = list.get() { el.set_scroll_top(el.scroll_height()); }
                    unseen.set(false);
                    stick.set(true);
                }>"New messages ↓"</button>
            })}
            {move || {
                let id = conversation_id.get()?;
                chat.typing.with(|t| {
                    let names: Vec<&str> = t.get(&id)?.iter().map(|x| x.name.as_str()).collect();
                    typing_line(&names)
                })
            }.map(|line| view! { <p class="typing" aria-live="polite">{line}</p> })}
            <Composer on_send=on_send disabled=archived conversation_id=conversation_id on_edit_last=edit_last replying=replying attachments=attachments />
        </section>
    }
}
