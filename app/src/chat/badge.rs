//! The unread marks beside a conversation in the sidebar, by the member's
//! notification level: a count (`Notify::counted`: every unread message at
//! `all`, mentions at `mentions`), an `@` when someone mentioned the member,
//! a bold name when something is unread but not counted, and a dimmed one
//! when the conversation is set to `nothing`.

use leptos::prelude::*;

use super::model::Notify;

/// What one sidebar entry has waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub unread: u32,
    pub mentions: u32,
    pub notify: Notify,
}

impl Waiting {
    /// The number on the badge (0: none).
    pub fn counted(self) -> u32 {
        self.notify.counted(self.unread, self.mentions)
    }

    /// Whether the `@` mark shows.
    pub fn mentioned(self) -> bool {
        self.mentions > 0 && self.notify != Notify::Nothing
    }

    /// Whether the name shows as unread (bold).
    pub fn bold(self) -> bool {
        self.unread > 0 && self.notify != Notify::Nothing
    }

    pub fn muted(self) -> bool {
        self.notify == Notify::Nothing
    }
}

/// The marks themselves (inside the entry's link).
#[component]
pub fn Badges(waiting: Waiting) -> impl IntoView {
    let counted = waiting.counted();
    let label = if counted >= 100 {
        "99+".to_string()
    } else {
        counted.to_string()
    };
    view! {
        {waiting.mentioned().then(|| view! { <span class="badge mention" aria-label="mentions you">"@"</span> })}
        {(counted > 0).then(|| view! { <span class="badge" aria-label="unread messages">{label}</span> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_shows_follows_the_level() {
        let w = |notify| Waiting {
            unread: 4,
            mentions: 1,
            notify,
        };
        assert_eq!(
            (w(Notify::All).counted(), w(Notify::All).mentioned()),
            (4, true)
        );
        assert_eq!(w(Notify::Mentions).counted(), 1);
        let quiet = Waiting {
            unread: 4,
            mentions: 0,
            notify: Notify::Mentions,
        };
        assert_eq!((quiet.counted(), quiet.bold()), (0, true));
        let off = w(Notify::Nothing);
        assert_eq!(
            (off.counted(), off.mentioned(), off.bold(), off.muted()),
            (0, false, false, true)
        );
    }
}
