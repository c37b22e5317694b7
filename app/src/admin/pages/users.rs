//! `/admin/users`: find people (search, role and status filters, sorting,
//! pages) and pick one to manage in the editor below the table.

use leptos::prelude::*;

use super::{Pager, user_editor::UserEditor, when};
use crate::admin::{api::admin_users, model::AdminUser};

#[component]
pub fn UsersPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let role = RwSignal::new(String::from("any"));
    let active = RwSignal::new(String::from("any"));
    let sort = RwSignal::new(String::from("username"));
    let page = RwSignal::new(1u64);
    let version = RwSignal::new(0u32);
    let selected = RwSignal::new(None::<AdminUser>);
    let list = Resource::new(
        move || {
            (
                search.get(),
                role.get(),
                active.get(),
                sort.get(),
                page.get(),
                version.get(),
            )
        },
        |(search, role, active, sort, page, _)| {
            admin_users(
                Some(search),
                Some(role),
                Some(active),
                Some(sort),
                Some(page),
            )
        },
    );
    // A filter change starts again from the first page.
    let filter = move |signal: RwSignal<String>| {
        move |ev| {
            signal.set(event_target_value(&ev));
            page.set(1);
        }
    };
    let selected_id = Memo::new(move |_| selected.with(|s| s.as_ref().map(|u| u.id)));
    let changed = Callback::new(move |user: AdminUser| {
        selected.set(Some(user));
        version.update(|v| *v += 1);
    });

    view! {
        <h1>"Users"</h1>
        <div class="filters">
            <input type="search" placeholder="Search username or email" aria-label="Search users"
                prop:value=search on:input=filter(search) />
            <select aria-label="Role" on:change=filter(role) prop:value=role>
                <option value="any">"Any role"</option>
                <option value="admin">"Admins"</option>
                <option value="user">"Users"</option>
            </select>
            <select aria-label="Status" on:change=filter(active) prop:value=active>
                <option value="any">"Any status"</option>
                <option value="active">"Active"</option>
                <option value="inactive">"Deactivated"</option>
            </select>
            <select aria-label="Sort by" on:change=filter(sort) prop:value=sort>
                <option value="username">"Username A–Z"</option>
                <option value="email">"Email A–Z"</option>
                <option value="newest">"Newest first"</option>
                <option value="oldest">"Oldest first"</option>
            </select>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) if l.users.is_empty() => view! { <p class="muted">"No one matches."</p> }.into_any(),
                    Ok(l) => view! {
                        <Pager page=page pages=Some(l.pages) has_more=l.page < l.pages />
                        <p class="muted">{format!("{} user{}", l.total, if l.total == 1 { "" } else { "s" })}</p>
                        <table class="admin-table" data-testid="users-table">
                            <thead><tr>
                                <th>"Username"</th><th>"Email"</th><th>"Role"</th>
                                <th>"Status"</th><th>"Joined"</th><th></th>
                            </tr></thead>
                            <tbody>
                                {l.users.into_iter().map(|u| {
                                    let row = u.clone();
                                    view! {
                                        <tr data-testid=format!("user-{}", u.username)>
                                            <td>
                                                <span class="dot" class:online=u.online></span>" "
                                                {u.username.clone()}
                                            </td>
                                            <td>{u.email.clone()}</td>
                                            <td>{u.role.clone()}</td>
                                            <td>{if u.is_active { "Active" } else { "Deactivated" }}</td>
                                            <td>{when(u.created_at)}</td>
                                            <td>
                                                <button type="button" class="ghost"
                                                    on:click=move |_| selected.set(Some(row.clone()))>"Manage"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        // One editor per chosen user: it stays (with its outcome line) while
        // that user's row changes, and is replaced when another is chosen.
        {move || selected_id.get().map(|_| view! {
            <UserEditor user=Signal::derive(move || selected.get().unwrap_or_default()) changed=changed />
        })}
    }
}
