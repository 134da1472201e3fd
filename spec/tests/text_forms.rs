//! The text forms of `docs/wire-format/ciphertext.md` ("Text forms"): the
//! page's table is what the code writes and reads, each form has one exact
//! length, unused base32 bits must be zero, and nothing else parses. Engine
//! addresses, the only other text in the format, are 1 to 128 bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use sealwright_spec::address::MAX_ADDRESS_LEN;
use sealwright_spec::identity::ParseIdError;
use sealwright_spec::{Address, ExternalIdentity, IdentityId, KeyId};
use sha2::{Digest, Sha256};

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz234567";

/// Bytes that look random and are the same on every run.
fn bytes<const N: usize>(seed: u32) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let digest = Sha256::digest([seed.to_be_bytes(), (i as u32).to_be_bytes()].concat());
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
    out
}

fn public(seed: u32) -> ExternalIdentity {
    ExternalIdentity {
        verifying_key: bytes(seed),
        encryption_key: bytes(seed ^ 0x8000_0000),
    }
}

/// One text form: its name on the page and a sample written by the code.
struct Form {
    name: &'static str,
    bytes: usize,
    write: fn(u32) -> String,
    parses: fn(&str) -> bool,
}

fn parses<T: FromStr<Err = ParseIdError>>(text: &str) -> bool {
    text.parse::<T>().is_ok()
}

const FORMS: [Form; 3] = [
    Form {
        name: "identity id",
        bytes: 20,
        write: |seed| IdentityId(bytes(seed)).to_string(),
        parses: parses::<IdentityId>,
    },
    Form {
        name: "key id",
        bytes: 8,
        write: |seed| KeyId(bytes(seed)).to_string(),
        parses: parses::<KeyId>,
    },
    Form {
        name: "public identity",
        bytes: 64,
        write: |seed| public(seed).to_string(),
        parses: parses::<ExternalIdentity>,
    },
];

/// The page's row for `name`: prefix, bytes, characters, length, unused bits.
fn page_row(page: &str, name: &str) -> (String, usize, usize, usize, usize) {
    let row = page
        .lines()
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("ciphertext.md has no text-form row for {name}"));
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    let number = |cell: &str| -> usize {
        let digits: String = cell.chars().take_while(char::is_ascii_digit).collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("{name}: `{cell}` is not a number"))
    };
    (
        cells[1].trim_matches('`').to_owned(),
        number(cells[2]),
        number(cells[3]),
        number(cells[4]),
        number(cells[5]),
    )
}

/// The prefix of a text form: everything up to and including its `1`.
fn prefix(text: &str) -> &str {
    &text[..=text.find('1').unwrap()]
}

#[test]
fn the_page_table_of_text_forms_is_what_the_code_writes() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/wire-format/ciphertext.md"
    ))
    .unwrap();
    for form in FORMS {
        let (pre, n, chars, len, unused) = page_row(&page, form.name);
        let text = (form.write)(1);
        assert_eq!(prefix(&text), pre, "{}: prefix", form.name);
        assert_eq!(n, form.bytes, "{}: bytes", form.name);
        assert_eq!(text.len(), len, "{}: length", form.name);
        assert_eq!(len, pre.len() + chars, "{}: prefix + characters", form.name);
        assert_eq!(chars, (8 * n).div_ceil(5), "{}: characters", form.name);
        assert_eq!(unused, 5 * chars - 8 * n, "{}: unused bits", form.name);
    }
}

#[test]
fn each_text_form_has_one_exact_length() {
    for form in FORMS {
        let lengths: Vec<usize> = (0..200).map(|s| (form.write)(s).len()).collect();
        let want = lengths[0];
        assert!(
            lengths.iter().all(|&l| l == want),
            "{}: {lengths:?}",
            form.name
        );
        for seed in 0..50 {
            let text = (form.write)(seed);
            assert!((form.parses)(&text), "{}: {text}", form.name);
            // One character fewer or more: refused, whichever character.
            assert!(
                !(form.parses)(&text[..text.len() - 1]),
                "{}: short",
                form.name
            );
            for c in ALPHABET.chars() {
                assert!(!(form.parses)(&format!("{text}{c}")), "{}: long", form.name);
            }
        }
    }
}

#[test]
fn unused_bits_must_be_zero() {
    for form in FORMS {
        let unused = 5 * (8 * form.bytes).div_ceil(5) - 8 * form.bytes;
        let text = (form.write)(7);
        let body = &text[..text.len() - 1];
        let mut accepted = String::new();
        for (value, c) in ALPHABET.chars().enumerate() {
            let candidate = format!("{body}{c}");
            let zero = value % (1 << unused) == 0;
            assert_eq!(
                (form.parses)(&candidate),
                zero,
                "{}: {candidate}",
                form.name
            );
            if zero {
                accepted.push(c);
            }
        }
        let want = match unused {
            0 => ALPHABET,
            1 => "acegikmoqsuwy246",
            3 => "aiqy",
            other => panic!("{}: {other} unused bits", form.name),
        };
        assert_eq!(
            accepted, want,
            "{}: last characters the page lists",
            form.name
        );
    }
    // The refusal is the typed error, naming the expected form.
    let key = KeyId(bytes(3)).to_string();
    let set = format!("{}b", &key[..key.len() - 1]);
    let err = set.parse::<KeyId>().unwrap_err();
    assert!(
        err.to_string()
            .contains("expected `swk1` followed by 13 lowercase base32 characters"),
        "{err}"
    );
}

#[test]
fn nothing_but_the_exact_text_parses() {
    for form in FORMS {
        let text = (form.write)(11);
        let pre = prefix(&text);
        let body = &text[pre.len()..];
        let bad = [
            format!(" {text}"),
            format!("{text} "),
            format!("{text}\n"),
            format!("\t{text}"),
            format!("{pre} {}", &body[1..]),
            text.to_uppercase(),
            format!("{}{}", pre.to_uppercase(), body),
            format!("{}{}", pre, body.to_uppercase()),
            format!("{text}="),
            format!("{}=", &text[..text.len() - 1]),
            format!("{}1{}", pre, &body[1..]),
            format!("{}0{}", pre, &body[1..]),
            format!("{}é{}", pre, &body[2..]),
            body.to_owned(),
            format!("x{}", &text[1..]),
        ];
        for b in &bad {
            assert!(!(form.parses)(b), "{}: `{b}` parsed", form.name);
        }
    }
    // No form parses as another.
    for (i, form) in FORMS.iter().enumerate() {
        for (j, other) in FORMS.iter().enumerate() {
            let text = (form.write)(5);
            assert_eq!(
                (other.parses)(&text),
                i == j,
                "{} as {}",
                form.name,
                other.name
            );
        }
    }
}

#[test]
fn every_text_parses_back_to_its_value() {
    for seed in 0..100 {
        let id = IdentityId(bytes(seed));
        assert_eq!(id.to_string().parse::<IdentityId>(), Ok(id));
        let key = KeyId(bytes(seed));
        assert_eq!(key.to_string().parse::<KeyId>(), Ok(key));
        let p = public(seed);
        assert_eq!(p.to_string().parse::<ExternalIdentity>(), Ok(p));
    }
}

#[test]
fn addresses_are_1_to_128_bytes_of_the_allowed_characters() {
    assert_eq!(MAX_ADDRESS_LEN, 128);
    assert!(Address::new("").is_err());
    assert!(Address::new("a").is_ok());
    assert!(Address::new("A-z_0.9/x").is_ok());
    assert!(Address::new("a".repeat(128)).is_ok());
    assert!(Address::new("a".repeat(129)).is_err());
    for c in [' ', ':', '@', '\n', 'é', '+'] {
        assert!(Address::new(format!("node{c}a")).is_err(), "{c:?}");
    }
}
