//! The failure of a service Hookline depends on (a database, a queue), shared by the store's
//! and the queue's error types. It sits on the ground floor so that those ports depend on
//! nothing above them; `error::Error` wraps their errors.

/// A database or queue service failed; `source` keeps the driver's error for the logs. Shared
/// by `StoreError::Backend` and `QueueError::Backend`.
#[derive(Debug, thiserror::Error)]
#[error("{backend} failed")]
pub struct BackendError {
    pub backend: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
    /// The service could not take the call for now (a full disk, throttling): the same call
    /// may succeed later, so a caller is told to come back rather than that something broke.
    pub unavailable: bool,
}

/// Whether an AWS error code (or any text holding one) says the service is throttling the
/// caller.
pub fn is_throttling(code: &str) -> bool {
    THROTTLING.iter().any(|c| code.contains(c))
}

impl BackendError {
    pub fn new(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BackendError {
            backend,
            source: source.into(),
            unavailable: false,
        }
    }

    /// The same failure told once more, to another caller that shared the failed call (an
    /// error is not `Clone`): its service, whether it was only unavailable, and its message.
    pub fn again(&self) -> Self {
        BackendError {
            backend: self.backend,
            source: self.source.to_string().into(),
            unavailable: self.unavailable,
        }
    }

    /// A call the service refused for now (full, throttled); retrying later may succeed.
    pub fn unavailable(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BackendError {
            unavailable: true,
            ..Self::new(backend, source)
        }
    }
}

/// The error codes AWS services answer when they throttle a caller (DynamoDB, SQS).
const THROTTLING: [&str; 5] = [
    "ThrottlingException",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequests",
];

impl BackendError {
    /// A call an AWS service refused: [`BackendError::unavailable`] when it throttled the
    /// caller (after the SDK's own retries), a failure otherwise.
    pub fn from_aws(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        let mut throttled = false;
        let mut at: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
        while let Some(e) = at {
            throttled |= is_throttling(&format!("{e:?}"));
            at = e.source();
        }
        match throttled {
            true => Self::unavailable(backend, source),
            false => Self::new(backend, source),
        }
    }
}
