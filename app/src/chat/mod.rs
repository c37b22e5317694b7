//! Conversations: the People panel and the conversation beside it.

mod page;

pub use page::ChatPage;
