//! Hashing round trips, rehash detection and malformed input.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::{
    ARGON2_M_COST_KIB, DUMMY_HASH, HashError, Verification, dummy_hash, hash_password,
    verify_password,
};

const SALT: [u8; 16] = *b"0123456789abcdef";

/// A hash made with argon2 directly, at the given algorithm and costs.
fn hash_with(algorithm: Algorithm, version: Version, m: u32, t: u32, salt: &[u8]) -> String {
    let params = Params::new(m, t, 1, None).unwrap();
    let salt = SaltString::encode_b64(salt).unwrap();
    Argon2::new(algorithm, version, params)
        .hash_password(b"hunter2 hunter2", &salt)
        .unwrap()
        .to_string()
}

#[test]
fn round_trip() {
    let phc = hash_password("correct horse battery", &SALT).unwrap();
    assert!(
        phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$"),
        "{phc}"
    );
    assert_eq!(
        verify_password("correct horse battery", &phc),
        Ok(Verification::Valid {
            needs_rehash: false
        })
    );
    let cases = [
        "correct horse batter",
        "Correct horse battery",
        "",
        "correct horse battery ",
    ];
    for wrong in cases {
        assert_eq!(
            verify_password(wrong, &phc),
            Ok(Verification::Invalid),
            "{wrong:?}"
        );
    }
}

#[test]
fn same_salt_same_hash_other_salt_other_hash() {
    let a = hash_password("pw", &SALT).unwrap();
    assert_eq!(a, hash_password("pw", &SALT).unwrap());
    assert_ne!(a, hash_password("pw", &[7; 16]).unwrap());
}

#[test]
fn needs_rehash_when_weaker() {
    // (description, phc, needs_rehash)
    let salt = SALT.as_slice();
    let cases = [
        (
            "weaker memory and time",
            hash_with(Algorithm::Argon2id, Version::V0x13, 4096, 1, salt),
            true,
        ),
        (
            "weaker time",
            hash_with(
                Algorithm::Argon2id,
                Version::V0x13,
                ARGON2_M_COST_KIB,
                1,
                salt,
            ),
            true,
        ),
        (
            "argon2i",
            hash_with(
                Algorithm::Argon2i,
                Version::V0x13,
                ARGON2_M_COST_KIB,
                2,
                salt,
            ),
            true,
        ),
        (
            "argon2d",
            hash_with(
                Algorithm::Argon2d,
                Version::V0x13,
                ARGON2_M_COST_KIB,
                2,
                salt,
            ),
            true,
        ),
        (
            "version 0x10",
            hash_with(
                Algorithm::Argon2id,
                Version::V0x10,
                ARGON2_M_COST_KIB,
                2,
                salt,
            ),
            true,
        ),
        (
            "8-byte salt",
            hash_with(
                Algorithm::Argon2id,
                Version::V0x13,
                ARGON2_M_COST_KIB,
                2,
                &SALT[..8],
            ),
            true,
        ),
        (
            "current",
            hash_with(
                Algorithm::Argon2id,
                Version::V0x13,
                ARGON2_M_COST_KIB,
                2,
                salt,
            ),
            false,
        ),
        (
            "stronger time",
            hash_with(
                Algorithm::Argon2id,
                Version::V0x13,
                ARGON2_M_COST_KIB,
                3,
                salt,
            ),
            false,
        ),
    ];
    for (what, phc, needs_rehash) in cases {
        assert_eq!(
            verify_password("hunter2 hunter2", &phc),
            Ok(Verification::Valid { needs_rehash }),
            "{what}: {phc}"
        );
        assert_eq!(
            verify_password("hunter3", &phc),
            Ok(Verification::Invalid),
            "{what}"
        );
    }
}

#[test]
fn malformed_is_an_error() {
    let good = hash_password("pw", &SALT).unwrap();
    let no_hash = good.rsplit_once('$').unwrap().0.to_owned();
    let cases = [
        String::new(),
        "not a hash".to_owned(),
        "$argon2id$".to_owned(),
        no_hash,
        good.replace("$argon2id$", "$scrypt$"),
        good.replace("m=19456", "m=abc"),
        good.replace("m=19456", "m=1"),
        good.replace("t=2", "t=0"),
        good.replace(",p=1", ",p=1,q=3"),
        // Django's own format is not PHC.
        "pbkdf2_sha256$600000$c2FsdA$aGFzaA==".to_owned(),
    ];
    for phc in cases {
        assert_eq!(
            verify_password("pw", &phc),
            Err(HashError::Malformed),
            "{phc:?}"
        );
    }
}

#[test]
fn dummy_hash_is_current() {
    let fresh = hash_password("chat-core dummy password", &[0; 16]).unwrap();
    assert_eq!(DUMMY_HASH, fresh, "update DUMMY_HASH to the new value");
    assert_eq!(
        verify_password("chat-core dummy password", dummy_hash()),
        Ok(Verification::Valid {
            needs_rehash: false
        })
    );
    assert_eq!(
        verify_password("alice", dummy_hash()),
        Ok(Verification::Invalid)
    );
}
