//! The conversation panel, for a direct conversation (`/dm/:username`) or a
//! room (`/rooms/:id`): history (newest page first, older pages on scrolling
//! up or on jumping to a quoted message), live messages, pending/failed
//! sends with retry (`pending`), and the composer. `history` holds the
//! pages and live messages shown, `pending` the sends in flight (`Outbox`),
//! `reading` marks what is shown as read and places "Seen".
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
mod history;
mod item;
pub mod lazy;
mod pending;
mod reactions;
mod reading;
mod suggest;
mod timeline;

use leptos::{html, prelude::*, task::spawn_local};

use self::{
    attach::Attachments,
    composer::Composer,
    header::Header,
    history::History,
    item::{Context, MessageItem},
    pending::{Outbox, Pending, PendingItem, new_client_id},
};
use super::{
    model::{Message, Quote},
    state::{Target, typing_line, use_chat},
};

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

#[component]
pub fn Conversation(#[prop(into)] target: Signal<Target>) -> impl IntoView {
    let chat = use_chat();
    let me = chat.me.with_value(|m| m.id);
    let history = History::new(target, chat);
    let History {
        first,
        older,
        has_more,
        loading_older,
        loaded,
        conversation_id,
        messages,
        ..
    } = history;
    let outbox = Outbox::new(target, chat);
    let pending = outbox.pending;
    let list: NodeRef<html::Div> = NodeRef::new();
    let stick = RwSignal::new(true);
    let unseen = RwSignal::new(false);
    let editing = RwSignal::new(None::<i64>);
    let edit_failed = RwSignal::new(None::<editor::Failed>);
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

    reading::mark_read_as_shown(history, me);

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

    let load_older = move || history.load_older();

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
            history.reveal(id).await;
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
        stick.set(true);
        outbox.send(p);
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
    let seen_id = reading::seen_id(history, chat, me);
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

    let retry = Callback::new(move |again: Pending| outbox.retry(again));
    let cx = Context {
        in_room: is_room,
        editing,
        edit_failed,
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
            // Marks the panel interactive (its code is loaded lazily, after
            // the page itself has hydrated).
            data-hydrated=move || hydrated.get().then_some("")
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
                                <For each=move || messages.get() key=|m| m.id let:m>
                                    <MessageItem message=follow(messages, m) cx=cx />
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

/// Message `first` as `messages` has it now (the list is in id order). Once
/// it has left the list its row is about to go: it keeps its last state.
fn follow(messages: Memo<Vec<Message>>, first: Message) -> Memo<Message> {
    let id = first.id;
    Memo::new(move |last: Option<&Message>| {
        messages
            .with(|all| {
                all.binary_search_by_key(&id, |m| m.id)
                    .ok()
                    .map(|i| all[i].clone())
            })
            .unwrap_or_else(|| last.unwrap_or(&first).clone())
    })
}
