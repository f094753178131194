//! Walks `tests/vectors/errors.json` against `ErrorKind` (SPEC §6 is the authority for the file).

mod common;

use common::*;
use watchword_core::{Error, ErrorKind, Invalid};

#[test]
fn every_kind_matches_the_table() {
    let file = vectors("errors.json");
    let rows = section(&file, "kinds");
    assert_eq!(rows.len(), ErrorKind::ALL.len(), "the table and ErrorKind::ALL list the same kinds");
    for (row, kind) in rows.iter().zip(ErrorKind::ALL) {
        let label = row["kind"].as_str().expect("kind");
        assert_eq!(kind.as_str(), label, "ErrorKind::ALL is in table order");
        assert_eq!(u64::from(kind.code()), row["code"].as_u64().expect("code"), "{label}: code");
        assert_eq!(kind.twilio_code().map(u64::from), row["twilio"].as_u64(), "{label}: twilio");
        assert!(row["twilio"].is_null() || row["twilio"].is_u64(), "{label}: twilio is a number or null");
        assert_eq!(u64::from(kind.http_status()), row["http"].as_u64().expect("http"), "{label}: http");
        assert_eq!(kind.okta_code(), row["okta"].as_str(), "{label}: okta");
        assert!(row["okta"].is_null() || row["okta"].is_string(), "{label}: okta is a string or null");
        assert_eq!(ErrorKind::from_name(label), Some(kind), "{label}: from_name");
        assert_eq!(kind.to_string(), label, "{label}: Display");
    }
}

#[test]
fn numbers_are_stable_and_dense() {
    for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
        assert_eq!(kind.code(), i as u32 + 1, "{kind}");
    }
    assert_eq!(ErrorKind::from_name("no_such_kind"), None);
}

#[test]
fn errors_carry_their_kind_codes() {
    let file = vectors("errors.json");
    let errors = [
        Error::InvalidParameter(Invalid::UriMissingSecret),
        Error::EntityNotFound,
        Error::FactorNotFound,
        Error::ChallengeNotFound,
        Error::EntityAlreadyExists,
        Error::FactorLimitReached,
        Error::FactorCreationRateLimited,
        Error::FactorNotVerified,
        Error::IllegalFactorStatus(watchword_core::FactorStatusProblem::AlreadyVerified),
        Error::FactorVerificationAttemptsReached,
        Error::ChallengeCreationLimitReached,
        Error::ChallengeAttemptsReached,
        Error::ChallengeAlreadyResponded,
        Error::ChallengeExpired,
        Error::FactorLocked { until: Some(60) },
        Error::Conflict,
        Error::storage("disk full"),
    ];
    for (error, row) in errors.iter().zip(section(&file, "kinds")) {
        let label = row["kind"].as_str().unwrap();
        assert_eq!(error.kind().as_str(), label);
        assert_eq!(error.twilio_code().map(u64::from), row["twilio"].as_u64(), "{label}");
        assert_eq!(u64::from(error.http_status()), row["http"].as_u64().unwrap(), "{label}");
        assert_eq!(error.okta_code(), row["okta"].as_str(), "{label}");
        assert_eq!(error.detail().is_some(), label == "invalid_parameter", "{label}: detail only for invalid input");
        assert!(!error.to_string().is_empty(), "{label}: a message");
    }
}

#[test]
fn invalid_parameters_refine_the_twilio_code() {
    let file = vectors("errors.json");
    for row in section(&file, "invalid_parameter_twilio") {
        let error = match row["parameter"].as_str() {
            Some(parameter) => {
                // `Invalid::Parameter` needs a `&'static str`; the table is small and fixed.
                let parameter: &'static str = Box::leak(parameter.to_string().into_boxed_str());
                Error::InvalidParameter(Invalid::Parameter { name: parameter, expected: "something else" })
            }
            None => Error::InvalidParameter(Invalid::Base32Character { position: 1 }),
        };
        assert_eq!(error.twilio_code().map(u64::from), row["twilio"].as_u64(), "{:?}", row["parameter"]);
    }
}

#[test]
fn results_table_matches_the_service_results() {
    use watchword_core::service::VerificationResult;
    let file = vectors("errors.json");
    let rows = section(&file, "results");
    let all = [
        VerificationResult::Approved,
        VerificationResult::InvalidCode,
        VerificationResult::Replayed,
        VerificationResult::OutsideWindow,
    ];
    assert_eq!(rows.len(), all.len());
    for (row, result) in rows.iter().zip(all) {
        assert_eq!(row["result"].as_str(), Some(result.as_str()));
        assert_eq!(row["okta"].as_str(), result.okta_code(), "{}", result.as_str());
    }
    // SPEC §6: replayed and outside_window are Okta's E0000082 and E0000083.
    assert_eq!(VerificationResult::Replayed.okta_code(), Some("E0000082"));
    assert_eq!(VerificationResult::OutsideWindow.okta_code(), Some("E0000083"));
}
