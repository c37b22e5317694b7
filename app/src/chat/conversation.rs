//! The conversation panel for `/chats/:username`: history (newest page first,
//! older pages on scrolling up), live messages, pending/failed sends with
//! retry, and the composer (Enter sends, Shift+Enter breaks the line).

use leptos::{html, prelude::*, task::spawn_local};

use super::{
    api::{fetch_messages, mark_read, send_message},
    model::{BODY_MAX_CHARS, Message},
    state::use_chat,
};

#[derive(Clone, PartialEq)]
struct Pending {
    client_id: String,
    body: String,
    failed: bool,
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

fn time_of(ms: i64) -> (String, String) {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        let short = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
        (
            short,
            String::from(d.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        (String::new(), String::new())
    }
}

#[component]
pub fn Conversation(#[prop(into)] peer: Signal<String>) -> impl IntoView {
    let chat = use_chat();
    let me = chat.me.with_value(|m| m.id);
    let first = Resource::new(
        move || (peer.get(), chat.resync.get()),
        |(peer, _)| fetch_messages(peer, None),
    );
    let older = RwSignal::new(Vec::<Message>::new());
    let has_more = RwSignal::new(false);
    let loading_older = RwSignal::new(false);
    let pending = RwSignal::new(Vec::<Pending>::new());
    let draft = RwSignal::new(String::new());
    let list: NodeRef<html::Div> = NodeRef::new();
    let stick = RwSignal::new(true);
    let unseen = RwSignal::new(false);
    let marked = RwSignal::new(0i64);

    Effect::new(move |_| {
        peer.track();
        older.set(Vec::new());
        pending.set(Vec::new());
        stick.set(true);
    });

    // Whether older messages exist (from the newest page until an older page
    // says), and who the peer is, for the presence line. (An effect, so the
    // header does not read `first`: on the server a resource is read inside
    // its `<Transition>` only.)
    let peer_id = RwSignal::new(0);
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            has_more.set(page.has_more);
            peer_id.set(page.peer_id);
        }
    });
    // The conversation's id: from the page, or — when the two never talked —
    // from the first message either of them sends.
    let conversation_id = Memo::new(move |_| {
        let page = first.get().and_then(Result::ok)?;
        page.conversation_id
            .or_else(|| chat.direct_with(page.peer_id))
    });

    // Everything shown: older pages, the first page, then live messages.
    let messages = Memo::new(move |_| {
        let Some(Ok(page)) = first.get() else {
            return (0, Vec::new());
        };
        has_more.set(page.has_more || !older.with(|o| o.is_empty()) && has_more.get_untracked());
        let mut all = older.get();
        all.extend(page.messages.iter().cloned());
        let newest = all.last().map_or(0, |m| m.id);
        let pid = page.peer_id;
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
        (pid, all)
    });

    // Sends still waiting for their answer. One whose message already came
    // back live (the socket can be quicker than the `send` answer) is shown
    // once, as the stored message.
    let unsent = Memo::new(move |_| {
        let waiting = pending.get();
        messages.with(|(_, all)| {
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

    // Mark read up to the newest message from the peer.
    Effect::new(move |_| {
        let (pid, all) = messages.get();
        if let Some(last) = all.iter().rev().find(|m| m.sender_id == pid)
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
        let newest = messages.with(|(_, all)| all.last().map_or(0, |m| m.id));
        let arrived = newest > newest_shown.get_value();
        newest_shown.set_value(newest);
        pending.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || {
                if stick.get_untracked() {
                    el.set_scroll_top(el.scroll_height());
                } else if arrived {
                    unseen.set(true);
                }
            });
        }
    });

    let on_scroll = move |_| {
        let Some(el) = list.get() else { return };
        let at_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 60;
        stick.set(at_bottom);
        if at_bottom {
            unseen.set(false);
        }
        if el.scroll_top() < 40 && has_more.get_untracked() && !loading_older.get_untracked() {
            let Some(oldest) = messages.with_untracked(|(_, all)| all.first().map(|m| m.id)) else {
                return;
            };
            loading_older.set(true);
            let before_height = el.scroll_height();
            spawn_local(async move {
                if let Ok(page) = fetch_messages(peer.get_untracked(), Some(oldest)).await {
                    has_more.set(page.has_more);
                    older.update(|o| {
                        let mut merged = page.messages;
                        merged.append(o);
                        *o = merged;
                    });
                    if let Some(el) = list.get_untracked() {
                        request_animation_frame(move || {
                            el.set_scroll_top(el.scroll_height() - before_height)
                        });
                    }
                }
                loading_older.set(false);
            });
        }
    };

    let deliver = move |p: Pending| {
        let to = peer.get_untracked();
        spawn_local(async move {
            match send_message(to, None, p.body.clone(), p.client_id.clone()).await {
                Ok(message) => {
                    pending.update(|v| v.retain(|x| x.client_id != p.client_id));
                    chat.add_message(message);
                }
                Err(_) => pending.update(|v| {
                    if let Some(x) = v.iter_mut().find(|x| x.client_id == p.client_id) {
                        x.failed = true;
                    }
                }),
            }
        });
    };
    let submit = move || {
        let body = draft.get_untracked();
        if body.trim().is_empty() || body.chars().count() > BODY_MAX_CHARS {
            return;
        }
        let p = Pending {
            client_id: new_client_id(),
            body,
            failed: false,
        };
        pending.update(|v| v.push(p.clone()));
        draft.set(String::new());
        stick.set(true);
        deliver(p);
    };
    let remaining = move || BODY_MAX_CHARS as i64 - draft.with(|d| d.chars().count()) as i64;

    view! {
        <section class="conversation" aria-label="Conversation">
            <header class="conversation-head">
                <h2>{move || peer.get()}</h2>
                {move || {
                    let pid = peer_id.get();
                    let on = chat.online.with(|o| o.contains(&pid));
                    view! { <span class="presence" class:online=on>{if on { "online" } else { "offline" }}</span> }
                }}
            </header>
            <div class="messages" node_ref=list on:scroll=on_scroll role="log" aria-live="polite">
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match first.await {
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            Ok(_) => view! {
                                {move || loading_older.get().then(|| view! { <p class="loading">"Loading older messages…"</p> })}
                                {move || {
                                    let (_, all) = messages.get();
                                    (all.is_empty() && pending.with(|p| p.is_empty())).then(|| view! {
                                        <p class="conversation-empty">"Send a message to start the conversation."</p>
                                    })
                                }}
                                <For each=move || messages.get().1 key=|m| m.id let:m>
                                    {
                                        let (short, full) = time_of(m.created_at);
                                        let mine = m.sender_id == me;
                                        view! {
                                            <article class="message" class:mine=mine data-id=m.id>
                                                <p class="message-body">{m.body}</p>
                                                <time title=full>{short}</time>
                                            </article>
                                        }
                                    }
                                </For>
                                <For each=move || unsent.get() key=|p| (p.client_id.clone(), p.failed) let:p>
                                    {
                                        let retry = p.clone();
                                        view! {
                                            <article class="message mine pending" class:failed=p.failed>
                                                <p class="message-body">{p.body.clone()}</p>
                                                {if p.failed {
                                                    view! {
                                                        <span class="send-failed">"Not sent. "
                                                            <button type="button" class="link" on:click=move |_| {
                                                                let mut again = retry.clone();
                                                                again.failed = false;
                                                                pending.update(|v| if let Some(x) = v.iter_mut().find(|x| x.client_id == again.client_id) { x.failed = false; });
                                                                deliver(again);
                                                            }>"Retry"</button>
                                                        </span>
                                                    }.into_any()
                                                } else {
                                                    view! { <span class="sending">"Sending…"</span> }.into_any()
                                                }}
                                            </article>
                                        }
                                    }
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
            <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <textarea
                    rows="1"
                    aria-label="Message"
                    placeholder="Type your message"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                {move || (remaining() < 200).then(|| view! {
                    <span class="countdown" class:over=move || remaining() < 0>{remaining}</span>
                })}
                <button type="submit" class="primary">"Send"</button>
            </form>
        </section>
    }
}
