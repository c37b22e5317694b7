//! The console's frame (`/admin/:page?`): only admins see it — anonymous
//! visitors are sent to `/login`, everyone else gets the 403 page (and every
//! admin server function refuses them too). The frame shows the page the
//! address names (`page_for`); moving between pages keeps the frame. Plus the
//! small parts every page uses: a confirm-first button, a pager, and the
//! outcome line of an action.

mod audit;
mod dashboard;
mod files;
pub mod lazy;
mod messages;
mod rooms;
mod settings;
mod user_editor;
mod users;

pub use audit::AuditPage;
pub use dashboard::Dashboard;
pub use files::FilesPage;
pub use messages::MessagesPage;
pub use rooms::RoomsPage;
pub use settings::SettingsPage;
pub use users::UsersPage;

use leptos::prelude::*;
use leptos_router::{
    components::{A, Redirect},
    hooks::use_params_map,
};

use crate::{error::AppError, layout::NotFound, session::use_auth};

/// The console page at `/admin/<name>` (`""`: the dashboard at `/admin`).
fn page_for(name: &str) -> AnyView {
    match name {
        "" => view! { <Dashboard /> }.into_any(),
        "users" => view! { <UsersPage /> }.into_any(),
        "messages" => view! { <MessagesPage /> }.into_any(),
        "rooms" => view! { <RoomsPage /> }.into_any(),
        "files" => view! { <FilesPage /> }.into_any(),
        "audit" => view! { <AuditPage /> }.into_any(),
        "settings" => view! { <SettingsPage /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[component]
pub fn AdminLayout() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    // The page's name: a query string that changes (a search, a page of a
    // list) keeps the page as it is.
    let page = Memo::new(move |_| params.with(|p| p.get("page").unwrap_or_default()));
    move || match auth.user() {
        Some(me) if me.is_admin => view! {
            <div class="admin">
                <nav class="admin-nav" aria-label="Admin">
                    <A href="/admin" exact=true>"Dashboard"</A>
                    <A href="/admin/users">"Users"</A>
                    <A href="/admin/rooms">"Rooms"</A>
                    <A href="/admin/files">"Files"</A>
                    <A href="/admin/messages">"Messages"</A>
                    <A href="/admin/audit">"Audit log"</A>
                    <A href="/admin/settings">"Settings"</A>
                </nav>
                <div class="admin-body">{move || page.with(|name| page_for(name))}</div>
            </div>
        }
        .into_any(),
        Some(_) => view! { <Forbidden /> }.into_any(),
        None => view! { <Redirect path="/login" /> }.into_any(),
    }
}

/// The 403 page (with HTTP status 403 when rendered on the server).
#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <section class="not-found" data-testid="forbidden">
            <h1>"403 — Admins only"</h1>
            <p>"This part of Kanect is for administrators."</p>
            <A href="/">"Back to your chats"</A>
        </section>
    }
}

/// A destructive action's button: the first click asks, the second acts.
#[component]
pub fn ConfirmButton(
    label: &'static str,
    #[prop(into)] question: String,
    confirm: &'static str,
    #[prop(into)] on_confirm: Callback<()>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    view! {
        <Show
            when=move || asking.get()
            fallback=move || view! {
                <button type="button" class="ghost" on:click=move |_| asking.set(true)>{label}</button>
            }
        >
            <span class="confirm" role="group">
                <span>{question.clone()}</span>
                <button type="button" class="danger" on:click=move |_| {
                    asking.set(false);
                    on_confirm.run(());
                }>{confirm}</button>
                <button type="button" class="ghost" on:click=move |_| asking.set(false)>"Cancel"</button>
            </span>
        </Show>
    }
}

/// What the last action on a panel came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Idle,
    Busy,
    Done(String),
    Failed(AppError),
}

impl Outcome {
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Failed(e) => e.field_message(name),
            _ => None,
        }
    }
}

/// Runs an admin call started by a click; `ok` turns its result into the
/// message shown, and runs before `outcome` changes.
pub fn run<T: 'static>(
    outcome: RwSignal<Outcome>,
    call: impl Future<Output = Result<T, AppError>> + 'static,
    ok: impl FnOnce(T) -> String + 'static,
) {
    outcome.set(Outcome::Busy);
    leptos::task::spawn_local(async move {
        outcome.set(match call.await {
            Ok(value) => Outcome::Done(ok(value)),
            Err(e) => Outcome::Failed(e),
        });
    });
}

#[component]
pub fn OutcomeLine(outcome: RwSignal<Outcome>) -> impl IntoView {
    move || match outcome.get() {
        Outcome::Idle => None,
        Outcome::Busy => Some(view! { <p class="outcome" role="status">"Working…"</p> }.into_any()),
        Outcome::Done(text) => {
            Some(view! { <p class="outcome ok" role="status">{text}</p> }.into_any())
        }
        // Field errors show next to their fields; anything else shows here.
        Outcome::Failed(e) => Some(
            view! {
                <p class="outcome form-error" role="alert">
                    {e.form_message().unwrap_or_else(|| "Check the highlighted fields.".into())}
                </p>
            }
            .into_any(),
        ),
    }
}

/// "Page 2 of 5" with previous/next, for a list already loaded; `pages` is
/// `None` when only "is there more" is known.
#[component]
pub fn Pager(page: RwSignal<u64>, pages: Option<u64>, has_more: bool) -> impl IntoView {
    view! {
        <div class="pager">
            <button type="button" class="ghost" disabled=move || page.get() <= 1
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"← Previous"</button>
            <span data-testid="page">
                {move || match pages {
                    Some(n) => format!("Page {} of {n}", page.get()),
                    None => format!("Page {}", page.get()),
                }}
            </span>
            <button type="button" class="ghost" disabled=!has_more
                on:click=move |_| page.update(|p| *p += 1)>"Next →"</button>
        </div>
    }
}

/// A search form's invalid fields, each named with its problem.
pub fn field_errors(fields: Vec<crate::error::FieldError>) -> impl IntoView {
    view! {
        <ul class="form-error" role="alert">
            {fields.into_iter().map(|f| view! { <li>{format!("{}: {}", f.field, f.message)}</li> }).collect_view()}
        </ul>
    }
}

/// An admin table's time column: `2026-11-25 14:03 UTC`.
pub fn when(ms: i64) -> String {
    format!("{} UTC", crate::dates::format_utc(ms))
}
