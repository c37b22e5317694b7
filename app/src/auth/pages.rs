//! The sign-up and log-in pages. Both are `ActionForm`s: with JavaScript they
//! submit in place and show field errors live; without it they are plain POST
//! forms whose errors come back in the redirect and render on the server.
//! Each page owns its action: Leptos hands a JavaScript-less form's error (in
//! the URL) only to actions created inside `<Routes>`.
//!
//! Both are lazily loaded routes (`LoginRoute`, `SignupRoute`): built with
//! `cargo leptos --split`, their code — with the form reader that turns a
//! form into a server function's arguments — is a wasm chunk fetched when
//! one is opened (a page served at one loads it before it hydrates), so a
//! signed-in person's first load does not carry it.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Redirect},
    hooks::use_query_map,
};

use super::{
    api::{Login, Signup, signup_mode},
    rules::{PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN, strength, strength_label},
};
use crate::{admin::model::SignupMode, error::AppError, session::use_auth};

/// An action's latest error, if its last run failed.
fn last_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// The form-level message (wrong password, rate limited, network down).
#[component]
fn FormMessage(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.form_message()).map(|msg| {
            view! { <p class="form-error" role="alert">{msg}</p> }
        })
    }
}

/// A labelled input with its error underneath, wired for screen readers.
#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional)] on_input: Option<Callback<String>>,
) -> impl IntoView {
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    let id = format!("f-{name}");
    let err_id = format!("f-{name}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=err_id.clone()
                on:input=move |ev| {
                    if let Some(cb) = on_input {
                        cb.run(event_target_value(&ev));
                    }
                }
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=err_id>
                {move || message.get()}
            </p>
        </div>
    }
}

/// The live strength meter under the new-password field (needs the wasm).
#[component]
fn StrengthMeter(password: ReadSignal<String>) -> impl IntoView {
    let score = Memo::new(move |_| strength(&password.get()));
    view! {
        <div class="meter" data-score=move || score.get().to_string() aria-live="polite">
            <div class="meter-bar">
                // Width by score in the stylesheet: the CSP allows no inline styles.
                <span></span>
            </div>
            <span class="meter-label">
                {move || {
                    if password.get().is_empty() {
                        "Password strength".to_string()
                    } else {
                        format!("Strength: {}", strength_label(score.get()))
                    }
                }}
            </span>
        </div>
    }
}

/// What the sign-up page says when sign-up is not open to everyone (the
/// server refuses such sign-ups whatever the page shows).
#[component]
fn SignupNotice(has_join_code: bool) -> impl IntoView {
    let mode = Resource::new(|| (), |_| signup_mode());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let text = match mode.await {
                    Ok(SignupMode::Invite) if !has_join_code => {
                        Some("Sign-up is by invitation: open the join link an admin gave you.")
                    }
                    Ok(SignupMode::Closed) => {
                        Some("Sign-up is closed. Ask an admin to create an account for you.")
                    }
                    _ => None,
                };
                text.map(|t| view! { <p class="notice" role="status">{t}</p> })
            })}
        </Suspense>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    use_auth().on_signed_in(action.value());
    let error = last_error(action);
    let (password, set_password) = signal(String::new());
    let on_password = Callback::new(move |v: String| set_password.set(v));
    let join = use_query_map()
        .with_untracked(|q| q.get("join"))
        .unwrap_or_default();
    view! {
        <AlreadyLoggedIn />
        <section class="auth-card" aria-labelledby="signup-title">
            <h1 id="signup-title">"Create your account"</h1>
            <SignupNotice has_join_code=!join.is_empty() />
            <ActionForm action=action>
                <FormMessage error=error />
                <input type="hidden" name="join" value=join />
                <Field
                    label="Username"
                    name="username"
                    autocomplete="username"
                    hint="3–32 letters, digits, '_', '.' or '-'."
                    error=error
                />
                <Field label="Email" name="email" kind="email" autocomplete="email" error=error />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    error=error
                    on_input=on_password
                />
                <StrengthMeter password=password />
                <Field
                    label="Password again"
                    name="password_again"
                    kind="password"
                    autocomplete="new-password"
                    error=error
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating account…" } else { "Sign up" }}
                </button>
            </ActionForm>
            <p class="auth-switch">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    use_auth().on_signed_in(action.value());
    let error = last_error(action);
    view! {
        <AlreadyLoggedIn />
        <section class="auth-card" aria-labelledby="login-title">
            <h1 id="login-title">"Log in"</h1>
            <ActionForm action=action>
                <FormMessage error=error />
                <Field label="Username or email" name="login" autocomplete="username" error=error />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    error=error
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
            <p class="auth-switch">"New to Kanect? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}

/// Sends someone who is already logged in on to the chat view.
#[component]
fn AlreadyLoggedIn() -> impl IntoView {
    let auth = use_auth();
    move || {
        auth.user()
            .is_some()
            .then(|| view! { <Redirect path="/" /> })
    }
}

lazy_page!(
    /// The log-in page (`/login`).
    LoginRoute => LoginPage
);

lazy_page!(
    /// The sign-up page (`/signup`).
    SignupRoute => SignupPage
);

// The hints above spell these limits out; keep them in step.
const _: () =
    assert!(USERNAME_MIN == 3 && USERNAME_MAX == 32 && PASSWORD_MIN == 8 && PASSWORD_MAX == 128);
