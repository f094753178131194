//! watchword-python (under construction).
