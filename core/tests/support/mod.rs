//! Code shared by the integration tests and the fuzz targets.

pub mod model;
