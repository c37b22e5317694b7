//! The rooms' UI: the sidebar's Rooms section, "Browse rooms", "New room" and
//! a room's members panel (with the owner's tools and "Leave").

mod browse;
mod members;
mod new_room;
mod sidebar;

pub use browse::BrowseRooms;
pub use members::MembersPanel;
pub use new_room::NewRoom;
pub use sidebar::RoomsPanel;
