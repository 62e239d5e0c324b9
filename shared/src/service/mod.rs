//! The domain operations behind the API, with no HTTP in them: handlers parse and authorize,
//! then call these. Each takes the acting tenant explicitly, so a foreign id is simply not
//! found.

pub mod deliveries;
pub mod partners;
pub mod verification_keys;
pub mod webhooks;
