//! The frame around every page: the top bar and the 404 page.

use leptos::prelude::*;
use leptos_router::{NavigateOptions, components::A, hooks::use_navigate};

use crate::{auth::api::Logout, session::use_auth};

#[component]
pub fn TopBar() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="topbar">
            <A href="/" attr:class="wordmark">"Kanect"</A>
            {move || auth.user().map(|me| view! {
                <div class="topbar-user">
                    {me.is_admin.then(|| view! { <A href="/admin" attr:class="topbar-link">"Admin"</A> })}
                    <span class="topbar-name" data-testid="me">{me.username}</span>
                    <LogoutButton />
                </div>
            })}
        </header>
    }
}

/// A plain form posting to the log-out function: without JavaScript the
/// browser posts it and follows the redirect; with it the submit logs out in
/// place (`Auth::log_out`). (Not an `ActionForm`, which would carry a reader
/// of form fields into every page's code for a form that has none.)
#[component]
fn LogoutButton() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let url = <Logout as leptos::server_fn::ServerFn>::url();
    view! {
        <form
            method="post"
            action=url
            class="logout-form"
            on:submit=move |ev| {
                ev.prevent_default();
                let navigate = navigate.clone();
                auth.log_out(move || navigate("/login", NavigateOptions::default()));
            }
        >
            <button type="submit" class="secondary">"Log out"</button>
        </form>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <A href="/">"Back to Kanect"</A>
        </section>
    }
}
