//! The wasm entry point. It owns nothing but the call that hydrates the HTML the
//! server rendered; every component and server function lives in `app`.
//! Hydration is asynchronous (`hydrate_lazy`) so that a page served at a lazily
//! loaded route (the admin console's pages, split into their own wasm chunks)
//! waits for its chunk before hydrating. The app marks `<body>` when done.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A panic shows its message in the console, except in the size-optimised
    // release bundle (`-Cpanic=immediate-abort`, see `scripts/setup.sh`),
    // where a panic stops at once and there is no message to show.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
