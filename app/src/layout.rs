//! The frame around every page: the top bar and the 404 page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::use_auth;

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

#[component]
fn LogoutButton() -> impl IntoView {
    let logout = use_auth().logout;
    view! {
        <ActionForm action=logout attr:class="logout-form">
            <button type="submit" class="secondary">"Log out"</button>
        </ActionForm>
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
