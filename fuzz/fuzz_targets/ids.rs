//! The text forms of ids and public identities (`sw1…`, `swk1…`, `swpub1…`), engine
//! addresses and identity names.
//!
//! Properties: parsing never panics; whatever parses prints back as the same
//! text (one spelling per value); errors stay short whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::round_trips;
use spec::{Address, ExternalIdentity, IdentityId, IdentityName, KeyId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<IdentityId>() {
        Ok(id) => {
            assert_eq!(id.to_string(), text);
            round_trips(&id);
        }
        Err(e) => assert!(e.to_string().len() < 400, "long error"),
    }
    match text.parse::<KeyId>() {
        Ok(id) => {
            assert_eq!(id.to_string(), text);
            round_trips(&id);
        }
        Err(e) => assert!(e.to_string().len() < 400, "long error"),
    }
    match text.parse::<ExternalIdentity>() {
        Ok(public) => {
            // One spelling: nothing around it, not even whitespace.
            assert_eq!(public.to_string(), text);
            round_trips(&public);
            assert_eq!(
                public.id().to_string().parse::<IdentityId>(),
                Ok(public.id())
            );
        }
        Err(e) => assert!(e.to_string().len() < 400, "long error"),
    }
    if let Ok(address) = Address::new(text) {
        assert_eq!(address.as_str(), text);
        round_trips(&address);
    }
    match IdentityName::parse(text) {
        Ok(name) => {
            // One spelling, and the wire accepts exactly what `parse` does.
            assert_eq!(name.as_str(), text);
            round_trips(&name);
            if let Some(parent) = name.parent() {
                assert_eq!(IdentityName::parse(parent.as_str()), Ok(parent.clone()));
                assert!(text.starts_with(parent.as_str()));
            }
        }
        Err(e) => {
            assert!(e.to_string().len() < 400, "long error");
            let wire = spec::codec::encode(&text);
            assert!(spec::codec::decode::<IdentityName>(&wire).is_err());
        }
    }
});
