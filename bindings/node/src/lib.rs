//! watchword-node (under construction).
