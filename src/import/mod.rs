//! Bringing official datasets into the registry: reading and checking the files.

pub mod un_fatalities;
