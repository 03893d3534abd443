//! Throttling: sign-in attempts per client address and per account, and writes per session
//! token, each a number per minute (a burst of that many, then one every 60/n seconds). Past
//! the limit a request gets 429 with `Retry-After`. Counts are kept per server, in memory:
//! with several servers behind a balancer each allows its share, and the account lock-out
//! (counted in the database) still bounds password guessing across all of them.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock as _;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::AppError;

/// The registry's clock as the limiters read it: the time since 1970. The limiters then follow
/// the clock the rest of the registry follows (a test's clock too).
#[derive(Clone)]
pub struct LimiterClock(Arc<dyn Clock>);

impl governor::clock::Clock for LimiterClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let micros = self.0.now().and_utc().timestamp_micros();
        Duration::from_micros(u64::try_from(micros).unwrap_or(0))
    }
}

type Limiter = RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    LimiterClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// Every this many checks, keys whose allowance has come back whole are dropped: a key costs
/// memory only while it is being throttled, and a flood of new keys is swept regularly.
const SWEEP_EVERY: u64 = 1024;
/// The longest key kept: a username or an address is shorter; longer text is cut.
const MAX_KEY_CHARS: usize = 128;

pub struct Throttles {
    checks: AtomicU64,
    sign_in_by_address: Option<Limiter>,
    sign_in_by_account: Option<Limiter>,
    writes_by_token: Option<Limiter>,
}

/// A limiter allowing `per_minute` a minute per key; none when set to 0 (no limit).
fn limiter(per_minute: u32, clock: &LimiterClock) -> Option<Limiter> {
    NonZeroU32::new(per_minute).map(|n| {
        RateLimiter::new(
            Quota::per_minute(n),
            DefaultKeyedStateStore::default(),
            clock.clone(),
        )
    })
}

fn check(limiter: &Option<Limiter>, key: &str) -> Result<(), AppError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    let key: String = key.chars().take(MAX_KEY_CHARS).collect();
    limiter.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(limiter.clock().now());
        AppError::TooManyRequests {
            retry_after_secs: wait.max(Duration::from_secs(1)).as_secs_f64().ceil() as u64,
        }
    })
}

impl Throttles {
    pub fn new(settings: &Settings, clock: Arc<dyn Clock>) -> Throttles {
        let clock = LimiterClock(clock);
        Throttles {
            checks: AtomicU64::new(0),
            sign_in_by_address: limiter(settings.sign_in_per_minute_per_address, &clock),
            sign_in_by_account: limiter(settings.sign_in_per_minute_per_account, &clock),
            writes_by_token: limiter(settings.writes_per_minute_per_token, &clock),
        }
    }

    /// One sign-in attempt from `address` (when known) for `username`.
    pub fn sign_in(&self, address: Option<&str>, username: &str) -> Result<(), AppError> {
        self.sweep_now_and_then();
        if let Some(address) = address {
            check(&self.sign_in_by_address, address)?;
        }
        check(&self.sign_in_by_account, &username.trim().to_lowercase())
    }

    /// One write with the session whose token hashes to `token_hash`.
    pub fn write(&self, token_hash: &str) -> Result<(), AppError> {
        self.sweep_now_and_then();
        check(&self.writes_by_token, token_hash)
    }

    fn sweep_now_and_then(&self) {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            for limiter in [
                &self.sign_in_by_address,
                &self.sign_in_by_account,
                &self.writes_by_token,
            ]
            .into_iter()
            .flatten()
            {
                limiter.retain_recent();
            }
        }
    }
}
