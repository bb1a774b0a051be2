//! The discrete-event kernel: event calendar, run loop and random streams.
//!
//! It knows nothing of web servers or databases: a model is any type that
//! implements [`Model`], and the kernel only orders its events in time.
//! Nothing here imports another module of the crate except `time`.

mod calendar;
mod rng;
mod simulation;

pub use calendar::EventCalendar;
pub use rng::{RngStreams, StreamRng};
pub use simulation::{Model, Scheduler, Simulation};
