//! The text forms of ids and public identities (`sw1…`, `swk1…`, `swpub1…`) and engine addresses.
//!
//! Properties: parsing never panics; whatever parses prints back as the same
//! text (one spelling per value); errors stay short whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::round_trips;
use spec::{Address, ExternalIdentity, IdentityId, KeyId};

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
});
