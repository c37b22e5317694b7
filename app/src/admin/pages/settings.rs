//! `/admin/settings`: who may sign up, and the join link.

use leptos::prelude::*;

use super::{ConfirmButton, Outcome, OutcomeLine, run};
use crate::admin::{
    api::{admin_new_join_code, admin_set_signup_mode, admin_signup_policy},
    model::{SignupMode, SignupPolicy},
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| admin_signup_policy());
    view! {
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(policy) => view! { <SignupSettings policy=policy /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SignupSettings(policy: SignupPolicy) -> impl IntoView {
    let policy = RwSignal::new(policy);
    let outcome = RwSignal::new(Outcome::Idle);
    let choose = move |mode: SignupMode| {
        run(
            outcome,
            admin_set_signup_mode(mode.code().to_owned()),
            move |p| {
                let text = format!("Saved: {}.", p.mode.label());
                policy.set(p);
                text
            },
        );
    };
    let renew = Callback::new(move |()| {
        run(outcome, admin_new_join_code(), move |p| {
            policy.set(p);
            "A new join link is ready; the old one no longer works.".to_owned()
        });
    });
    view! {
        <section class="panel" aria-labelledby="signup-heading">
            <h2 id="signup-heading">"Who may sign up"</h2>
            <fieldset class="choices">
                <legend class="visually-hidden">"Who may sign up"</legend>
                {SignupMode::ALL.into_iter().map(|mode| view! {
                    <label class="choice">
                        <input
                            type="radio"
                            name="signup_mode"
                            value=mode.code()
                            prop:checked=move || policy.with(|p| p.mode == mode)
                            on:change=move |_| choose(mode)
                        />
                        {mode.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            <h3>"Join link"</h3>
            <p class="field-hint">"While sign-up is by invitation, only people who open this link can create an account."</p>
            <p><code data-testid="join-link">{move || policy.with(|p| p.join_link.clone())}</code></p>
            <ConfirmButton
                label="New join link"
                question="The current link will stop working."
                confirm="Make a new link"
                on_confirm=renew
            />
            <OutcomeLine outcome=outcome />
        </section>
    }
}
