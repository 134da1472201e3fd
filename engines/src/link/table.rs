//! The link's phases and its transition table: the state diagram on the site is generated
//! from [`TRANSITIONS`], and the engine can take no step the table does not hold.

use spec::link::LinkRole;

/// Where a link is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Nothing sent or received yet.
    Ready,
    /// Initiator: the first handshake message (`-> e`) is sent.
    Initiating,
    /// Responder: the second handshake message (`<- e, ee, s, es`) is sent.
    Accepting,
    /// Initiator: the third message (`-> s, se`) is sent with the initiator's proof; the
    /// responder's proof is awaited.
    Vouched,
    /// Both identities are proved: envelopes flow, and each one's sender is the peer's.
    Connected,
    /// Finished, by either side or by a failure; nothing more is read or written.
    Closed,
}

impl Phase {
    /// Its name on the site's diagram.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Ready => "Ready",
            Phase::Initiating => "Initiating",
            Phase::Accepting => "Accepting",
            Phase::Vouched => "Vouched",
            Phase::Connected => "Connected",
            Phase::Closed => "Closed",
        }
    }
}

/// What a step is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trigger {
    /// The host opens the link (initiators only).
    Open,
    /// A frame arrived from the peer.
    Frame,
    /// The host hands over an envelope to send.
    Send,
    /// The host closes the link.
    Close,
}

/// One row: in `from`, on `on`, the row `row` moves the link to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Which side takes it (`None`: either).
    pub role: Option<LinkRole>,
    /// The phase before.
    pub from: Phase,
    /// What triggers it.
    pub on: Trigger,
    /// The phase after.
    pub to: Phase,
    /// The guard row's name (the engine's effects name it).
    pub row: &'static str,
}

const fn row(
    role: Option<LinkRole>,
    from: Phase,
    on: Trigger,
    to: Phase,
    row: &'static str,
) -> Transition {
    Transition {
        role,
        from,
        on,
        to,
        row,
    }
}

const I: Option<LinkRole> = Some(LinkRole::Initiator);
const R: Option<LinkRole> = Some(LinkRole::Responder);

/// Every step a link can take. A frame or an envelope no row takes closes the link
/// (`refuse`); `Close` closes it from any phase.
pub const TRANSITIONS: &[Transition] = &[
    row(I, Phase::Ready, Trigger::Open, Phase::Initiating, "open"),
    row(R, Phase::Ready, Trigger::Frame, Phase::Accepting, "accept"),
    row(
        I,
        Phase::Initiating,
        Trigger::Frame,
        Phase::Vouched,
        "vouch",
    ),
    row(
        R,
        Phase::Accepting,
        Trigger::Frame,
        Phase::Connected,
        "admit",
    ),
    row(
        I,
        Phase::Vouched,
        Trigger::Frame,
        Phase::Connected,
        "confirm",
    ),
    row(
        None,
        Phase::Connected,
        Trigger::Frame,
        Phase::Connected,
        "deliver",
    ),
    row(
        None,
        Phase::Connected,
        Trigger::Send,
        Phase::Connected,
        "send",
    ),
];

/// The rows of the link's guard table, in the order the engine names them.
pub const ROWS: &[&str] = &[
    "open", "accept", "vouch", "admit", "confirm", "deliver", "send", "refuse", "close",
];

/// The row that takes `on` in `from` for `role`, if any.
pub fn lookup(role: LinkRole, from: Phase, on: Trigger) -> Option<&'static Transition> {
    TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.on == on && t.role.is_none_or(|r| r == role))
}

/// The state diagram (Mermaid), generated from the table.
pub fn mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n    [*] --> Ready\n");
    for t in TRANSITIONS {
        let who = match t.role {
            Some(LinkRole::Initiator) => " (initiator)",
            Some(LinkRole::Responder) => " (responder)",
            None => "",
        };
        let on = match t.on {
            Trigger::Open => "open",
            Trigger::Frame => "frame",
            Trigger::Send => "send",
            Trigger::Close => "close",
        };
        out.push_str(&format!(
            "    {} --> {}: {} on {on}{who}\n",
            t.from.name(),
            t.to.name(),
            t.row
        ));
    }
    // Every live phase closes on `close`, and on anything no row takes or any row that fails.
    for phase in [
        Phase::Ready,
        Phase::Initiating,
        Phase::Accepting,
        Phase::Vouched,
        Phase::Connected,
    ] {
        out.push_str(&format!(
            "    {} --> Closed: close or refuse\n",
            phase.name()
        ));
    }
    out.push_str("    Closed --> [*]\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_named_and_no_two_rows_compete() {
        for t in TRANSITIONS {
            assert!(ROWS.contains(&t.row), "{} is not a guard row", t.row);
            let competing = TRANSITIONS
                .iter()
                .filter(|u| u.from == t.from && u.on == t.on)
                .filter(|u| u.role.is_none() || t.role.is_none() || u.role == t.role)
                .count();
            assert_eq!(competing, 1, "two rows take {:?} in {:?}", t.on, t.from);
        }
    }

    #[test]
    fn each_role_walks_from_ready_to_connected() {
        for role in [LinkRole::Initiator, LinkRole::Responder] {
            let mut phase = Phase::Ready;
            let first = if role == LinkRole::Initiator {
                Trigger::Open
            } else {
                Trigger::Frame
            };
            let mut on = first;
            for _ in 0..4 {
                let Some(t) = lookup(role, phase, on) else {
                    break;
                };
                phase = t.to;
                on = Trigger::Frame;
                if phase == Phase::Connected {
                    break;
                }
            }
            assert_eq!(phase, Phase::Connected, "{role:?}");
        }
    }
}
