//! The panel for one user: change their email, make them an admin or a
//! regular user, deactivate or reactivate them, set a new password, and log
//! them out everywhere. Destructive steps ask first; every outcome (or the
//! field that was wrong) shows in the panel.

use leptos::prelude::*;

use super::{ConfirmButton, Outcome, OutcomeLine, run};
use crate::admin::{
    api::{
        admin_end_sessions, admin_reset_password, admin_set_active, admin_set_email, admin_set_role,
    },
    model::{AdminUser, ROLE_ADMIN},
};

#[component]
pub fn UserEditor(user: Signal<AdminUser>, changed: Callback<AdminUser>) -> impl IntoView {
    let outcome = RwSignal::new(Outcome::Idle);
    let (id, name) = user.with_untracked(|u| (u.id, u.username.clone()));
    let email = RwSignal::new(user.with_untracked(|u| u.email.clone()));
    let is_admin = move || user.with(|u| u.role == ROLE_ADMIN);
    let is_active = move || user.with(|u| u.is_active);
    let password = RwSignal::new(String::new());
    let password_again = RwSignal::new(String::new());
    let updated = move |u: AdminUser, text: String| {
        changed.run(u);
        text
    };

    let save_email = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run(
            outcome,
            admin_set_email(id, email.get_untracked()),
            move |u| updated(u, "Email saved.".into()),
        );
    };
    let set_role = move |role: &'static str| {
        run(outcome, admin_set_role(id, role.into()), move |u| {
            let text = format!(
                "{} is now {}.",
                u.username,
                if u.role == ROLE_ADMIN {
                    "an admin"
                } else {
                    "a regular user"
                }
            );
            updated(u, text)
        });
    };
    let set_active = move |active: bool| {
        run(outcome, admin_set_active(id, active), move |u| {
            let text = format!(
                "{} is {}.",
                u.username,
                if u.is_active {
                    "active again"
                } else {
                    "deactivated"
                }
            );
            updated(u, text)
        });
    };
    let reset = move || {
        run(
            outcome,
            admin_reset_password(id, password.get_untracked(), password_again.get_untracked()),
            move |()| {
                password.set(String::new());
                password_again.set(String::new());
                "Password changed; they were logged out everywhere.".into()
            },
        );
    };
    let end_sessions = move || {
        run(outcome, admin_end_sessions(id), |n| {
            format!("Ended {n} session{}.", if n == 1 { "" } else { "s" })
        });
    };
    let field = move |name: &'static str| move || outcome.with(|o| o.field(name));
    let ask_demote = format!("Remove {name}'s admin rights?");
    let ask_deactivate = format!("Deactivate {name}? They are logged out at once.");

    view! {
        <section class="editor" data-testid="user-editor" aria-label=format!("Manage {name}")>
            <h2>{format!("Manage {name}")}</h2>
            <p class="muted">
                {move || format!("{} · {}", if is_admin() { "Admin" } else { "User" }, if is_active() { "active" } else { "deactivated" })}
            </p>
            <form class="editor-row" on:submit=save_email>
                <label for="edit-email">"Email"</label>
                <input id="edit-email" type="email" prop:value=email on:input=move |ev| email.set(event_target_value(&ev))
                    aria-invalid=move || field("email")().is_some().to_string() />
                <button type="submit" class="primary">"Save email"</button>
                <p class="field-error" id="edit-email-error">{field("email")}</p>
            </form>
            <div class="editor-row">
                {move || if is_admin() {
                    view! {
                        <ConfirmButton label="Make regular user" question=ask_demote.clone()
                            confirm="Yes, demote" on_confirm=move |_| set_role("user") />
                    }.into_any()
                } else {
                    view! { <button type="button" class="ghost" on:click=move |_| set_role(ROLE_ADMIN)>"Make admin"</button> }.into_any()
                }}
                {move || if is_active() {
                    view! {
                        <ConfirmButton label="Deactivate" question=ask_deactivate.clone()
                            confirm="Yes, deactivate" on_confirm=move |_| set_active(false) />
                    }.into_any()
                } else {
                    view! { <button type="button" class="ghost" on:click=move |_| set_active(true)>"Reactivate"</button> }.into_any()
                }}
                <ConfirmButton label="Log out everywhere" question=format!("End all of {name}'s sessions?")
                    confirm="Yes, log out" on_confirm=move |_| end_sessions() />
            </div>
            <div class="editor-row">
                <label for="edit-password">"New password"</label>
                <input id="edit-password" type="password" autocomplete="new-password" prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                    aria-invalid=move || field("password")().is_some().to_string() />
                <label for="edit-password-again">"Again"</label>
                <input id="edit-password-again" type="password" autocomplete="new-password" prop:value=password_again
                    on:input=move |ev| password_again.set(event_target_value(&ev))
                    aria-invalid=move || field("password_again")().is_some().to_string() />
                <ConfirmButton label="Set password" question=format!("Replace {name}'s password and log them out?")
                    confirm="Yes, set it" on_confirm=move |_| reset() />
                <p class="field-error" id="edit-password-error">{field("password")}</p>
                <p class="field-error" id="edit-password-again-error">{field("password_again")}</p>
            </div>
            <OutcomeLine outcome=outcome />
        </section>
    }
}
