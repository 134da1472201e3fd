//! The stateright model of the engine family (next milestone).
