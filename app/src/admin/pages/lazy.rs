//! The console's pages as lazily loaded routes: built with `cargo leptos
//! --split`, each page's code is a separate wasm chunk that the browser
//! fetches when an admin first opens it, so people who never open the console
//! never download it. (Without `--split` they are ordinary routes.)

lazy_page!(DashboardRoute => super::Dashboard);
lazy_page!(UsersRoute => super::UsersPage);
lazy_page!(MessagesRoute => super::MessagesPage);
lazy_page!(RoomsRoute => super::RoomsPage);
lazy_page!(FilesRoute => super::FilesPage);
lazy_page!(AuditRoute => super::AuditPage);
lazy_page!(SettingsRoute => super::SettingsPage);
