//! The browser-and-server view of "who is logged in".
//!
//! One blocking resource (so the server can redirect before it streams any
//! HTML) holds the current user. It is fetched again whenever `refresh` is
//! called: after a log-in, sign-up or log-out succeeds in the hydrated app.
//! (Without JavaScript every step is a full page load, so nothing is stale.)

use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{
    auth::{
        CurrentUser,
        api::{Logout, current_user},
    },
    error::AppError,
};

#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub logout: ServerAction<Logout>,
    epoch: RwSignal<u32>,
}

impl Auth {
    /// Fetches the current user again (someone logged in or out).
    pub fn refresh(&self) {
        self.epoch.update(|n| *n += 1);
    }

    /// After `action` succeeds: refresh the user, then go to `path`.
    pub fn on_success<T: Clone + Send + Sync + 'static>(
        &self,
        value: impl Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
        path: &'static str,
    ) {
        let auth = *self;
        Effect::new(move |_| {
            if matches!(value.get(), Some(Ok(_))) {
                auth.refresh();
                use_navigate()(path, NavigateOptions::default());
            }
        });
    }
}

pub fn provide_auth() {
    let epoch = RwSignal::new(0);
    let logout = ServerAction::<Logout>::new();
    let user = Resource::new_blocking(move || epoch.get(), |_| current_user());
    let auth = Auth {
        user,
        logout,
        epoch,
    };
    auth.on_success(logout.value(), "/login");
    provide_context(auth);
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}
