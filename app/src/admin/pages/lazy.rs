//! The console as one lazily loaded route: built with `cargo leptos
//! --split`, its code (the frame and every page) is a wasm chunk that the
//! browser fetches when an admin first opens it, so people who never open the
//! console never download it, and the main bundle carries one route for it,
//! not one per page. (Without `--split` it is an ordinary route.)

lazy_page!(AdminRoute => super::AdminLayout);
