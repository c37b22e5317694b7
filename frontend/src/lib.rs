//! The wasm entry point. It owns nothing but the call that hydrates the HTML the
//! server rendered; every component and server function lives in `app`.
//! Hydration is asynchronous (`hydrate_lazy`) so that a page served at a lazily
//! loaded route (the admin console's pages, split into their own wasm chunks)
//! waits for its chunk before hydrating. The app marks `<body>` when done.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
