//! `/admin`: the figures at a glance.

use leptos::prelude::*;

use crate::admin::api::admin_stats;

#[component]
pub fn Dashboard() -> impl IntoView {
    let stats = Resource::new(|| (), |_| admin_stats());
    view! {
        <h1>"Dashboard"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Ok(s) => view! {
                    <dl class="stats">
                        <Figure label="Users" value=s.users testid="stat-users" />
                        <Figure label="Active users" value=s.active_users testid="stat-active" />
                        <Figure label="Admins" value=s.admins testid="stat-admins" />
                        <Figure label="Online now" value=s.online_now testid="stat-online" />
                        <Figure label="Messages today (UTC)" value=s.messages_today testid="stat-today" />
                        <Figure label="Messages in total" value=s.messages_total testid="stat-total" />
                    </dl>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Figure(label: &'static str, value: u64, testid: &'static str) -> impl IntoView {
    view! {
        <div class="stat">
            <dt>{label}</dt>
            <dd data-testid=testid>{value}</dd>
        </div>
    }
}
