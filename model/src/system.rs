//! The system as stateright sees it: the model and state types, quiescence, what is in
//! flight, and the bounds of one exploration.

use std::time::Duration;

use stateright::actor::{ActorModel, ActorModelState, Network};

use crate::actors::{ClientState, ModelActor, NodeState};
use crate::config::ModelCfg;
use crate::history::History;
use crate::vocab::ModelMsg;

/// The model type.
pub type Model = ActorModel<ModelActor, ModelCfg, History>;

/// The state type properties read.
pub type State = ActorModelState<ModelActor, History>;

/// Bounds on one exploration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Worker threads.
    pub threads: usize,
    /// Generated states after which the run counts as cut short.
    pub max_states: usize,
    /// Time after which the run counts as cut short.
    pub time_limit: Duration,
}

/// No message in flight, no timer set, no choice pending.
pub fn quiescent(s: &State) -> bool {
    s.network.len() == 0
        && s.timers_set.iter().all(|t| t.iter().next().is_none())
        && s.random_choices.iter().all(|r| r.map.is_empty())
}

/// Every client's state.
pub fn clients(s: &State) -> impl Iterator<Item = &ClientState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        NodeState::Client(c) => Some(c),
        _ => None,
    })
}

/// Every message in flight, as (sender, receiver, message).
///
/// Walks ordered flows directly: stateright 0.31's `iter_all` never advances
/// within an ordered flow that holds more than one message, and loops forever.
pub fn in_flight(network: &Network<ModelMsg>) -> Vec<(usize, usize, &ModelMsg)> {
    match network {
        Network::Ordered(flows) => flows
            .iter()
            .flat_map(|((src, dst), msgs)| {
                msgs.iter()
                    .map(move |m| (usize::from(*src), usize::from(*dst), m))
            })
            .collect(),
        _ => network
            .iter_all()
            .map(|e| (usize::from(e.src), usize::from(e.dst), e.msg))
            .collect(),
    }
}
