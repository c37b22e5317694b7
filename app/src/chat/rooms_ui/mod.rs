//! The rooms' UI: the sidebar's Rooms section, "Browse rooms", "New room" and
//! a room's members panel (with the owner's tools and "Leave").

mod browse;
pub mod lazy;
mod members;
mod new_room;
mod sidebar;

pub use sidebar::RoomsPanel;
