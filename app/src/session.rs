//! The browser-and-server view of "who is logged in".
//!
//! The server knows the visitor before it renders a page (`auth::visitor`);
//! `provide_auth` takes that value, sends it along for hydration, and keeps it
//! in a signal every page reads synchronously. A log-in or sign-up in the
//! hydrated app sets it from the server's answer, a log-out clears it. (Without
//! JavaScript every step is a full page load, so nothing is stale.)

use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{auth::CurrentUser, error::AppError};

#[derive(Clone, Copy)]
pub struct Auth {
    user: RwSignal<Option<CurrentUser>>,
}

impl Auth {
    /// The logged-in user, if any (tracked).
    pub fn user(&self) -> Option<CurrentUser> {
        self.user.get()
    }

    /// After a log-in or sign-up succeeds: that user is now logged in; go to
    /// the chat view.
    pub fn on_signed_in(
        &self,
        value: impl Get<Value = Option<Result<CurrentUser, AppError>>> + Send + Sync + 'static,
    ) {
        let user = self.user;
        Effect::new(move |_| {
            if let Some(Ok(me)) = value.get() {
                user.set(Some(me));
                use_navigate()("/", NavigateOptions::default());
            }
        });
    }

    /// Logs out in place: once the server has ended the session, nobody is
    /// logged in here and `then` runs (the caller goes to the log-in page).
    /// A call, not a `ServerAction`: the log-out button is the only action
    /// on every page, and an action carries the reader of a JavaScript-less
    /// form's error, which the button does not need.
    pub fn log_out(&self, then: impl FnOnce() + 'static) {
        let user = self.user;
        leptos::task::spawn_local(async move {
            if crate::auth::api::logout().await.is_ok() {
                user.set(None);
                then();
            }
        });
    }
}

pub fn provide_auth() {
    let visitor = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            crate::auth::visitor::of_this_request()
        }
        #[cfg(not(feature = "ssr"))]
        {
            None::<CurrentUser>
        }
    })
    .into_inner();
    let user = RwSignal::new(visitor);
    provide_context(Auth { user });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}
