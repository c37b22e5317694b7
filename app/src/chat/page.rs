//! The chat view at `/`: People on the left, the chosen conversation on the
//! right. Anonymous visitors are sent to `/login` (on the server, before any
//! HTML is streamed, because the user resource is blocking).

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::{auth::CurrentUser, session::use_auth};

#[component]
pub fn ChatPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(me)) => view! { <ChatLayout me=me /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ChatLayout(me: CurrentUser) -> impl IntoView {
    view! {
        <div class="chat" data-user=me.username>
            <aside class="people" aria-label="People">
                <h2>"People"</h2>
                <p class="people-empty">"No one else is here yet."</p>
            </aside>
            <section class="conversation welcome">
                <h2>"Kanect"</h2>
                <p>"Be in touch with your favourite people."</p>
            </section>
        </div>
    }
}
