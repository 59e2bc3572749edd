//! Which loops a worker runs (`redline run --role check,deliver,web`): `check` is
//! the scheduler and the listing reader (fetching), `deliver` the outbox, `web` the
//! UI and API. Every worker also writes its heartbeat and renews its leases.

use std::fmt;
use std::str::FromStr;

/// The roles of one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// Scheduler and listings: claims due work and fetches it.
    pub check: bool,
    /// The outbox: sends alerts.
    pub deliver: bool,
    /// The web UI, the JSON API and the Atom feed.
    pub web: bool,
}

impl Roles {
    /// Every role: one process does it all (the default).
    pub const ALL: Roles = Roles { check: true, deliver: true, web: true };

    /// The roles named, `web` left out when the UI is off: what the heartbeat row says.
    pub fn running(self, web_enabled: bool) -> Roles {
        Roles { web: self.web && web_enabled, ..self }
    }
}

impl Default for Roles {
    fn default() -> Roles {
        Roles::ALL
    }
}

/// Why a `--role` list cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolesError {
    /// A name that is not a role.
    #[error("unknown role {0:?}: the roles are check, deliver and web (comma-separated, e.g. check,deliver)")]
    Unknown(String),
    /// An empty list.
    #[error("no role given: name at least one of check, deliver and web")]
    Empty,
}

impl FromStr for Roles {
    type Err = RolesError;

    fn from_str(text: &str) -> Result<Roles, RolesError> {
        let mut roles = Roles { check: false, deliver: false, web: false };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "check" => roles.check = true,
                "deliver" => roles.deliver = true,
                "web" => roles.web = true,
                "all" => roles = Roles::ALL,
                _ => return Err(RolesError::Unknown(name.to_string())),
            }
        }
        if roles == (Roles { check: false, deliver: false, web: false }) {
            return Err(RolesError::Empty);
        }
        Ok(roles)
    }
}

impl fmt::Display for Roles {
    /// `check,deliver,web`, in that order; `none` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [(self.check, "check"), (self.deliver, "deliver"), (self.web, "web")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        match names.is_empty() {
            true => f.write_str("none"),
            false => f.write_str(&names.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_a_comma_list_and_print_in_a_fixed_order() {
        assert_eq!("check".parse::<Roles>().unwrap(), Roles { check: true, deliver: false, web: false });
        let two: Roles = "web, Check".parse().unwrap();
        assert_eq!(two.to_string(), "check,web");
        assert_eq!("all".parse::<Roles>().unwrap(), Roles::ALL);
        assert_eq!(Roles::default().to_string(), "check,deliver,web");
        assert_eq!(Roles::ALL.running(false).to_string(), "check,deliver");
        assert_eq!(Roles { check: false, deliver: false, web: true }.running(false).to_string(), "none");
        assert_eq!("check,fetch".parse::<Roles>().unwrap_err(), RolesError::Unknown("fetch".into()));
        assert_eq!(" , ".parse::<Roles>().unwrap_err(), RolesError::Empty);
        assert!(RolesError::Unknown("x".into()).to_string().contains("check, deliver and web"));
    }
}
