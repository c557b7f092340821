// The test double and the measurements for rules 2-6 and 13, on tokio's paused clock:
// every sleep and timeout resolves in virtual time, exactly and at once.
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use tokio::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Reply {
    // status, body, how long the server takes
    Answer(u16, &'static str, u64),
    // a transport error at once
    Refused,
    // no answer for an hour
    Hang,
}

#[derive(Default)]
struct Log {
    in_flight: usize,
    max_in_flight: usize,
    // per URL: (start, end) of each request in ms since the start; end is when the
    // request finished or was abandoned (its future dropped)
    calls: HashMap<String, Vec<(u64, Option<u64>)>>,
}

struct Double {
    replies: HashMap<String, Vec<Reply>>,
    log: Mutex<Log>,
    start: Instant,
}

struct InFlight<'a> {
    double: &'a Double,
    url: String,
    index: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let now = self.double.start.elapsed().as_millis() as u64;
        let mut log = self.double.log.lock().unwrap_or_else(|e| e.into_inner());
        log.in_flight -= 1;
        if let Some(calls) = log.calls.get_mut(&self.url) {
            calls[self.index].1 = Some(now);
        }
    }
}

impl Double {
    fn new(plan: Vec<(&str, Vec<Reply>)>) -> Double {
        Double {
            replies: plan.into_iter().map(|(u, r)| (u.to_string(), r)).collect(),
            log: Mutex::new(Log::default()),
            start: Instant::now(),
        }
    }
    fn calls(&self, url: &str) -> Vec<(u64, Option<u64>)> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.calls.get(url).cloned().unwrap_or_default()
    }
}

impl HttpClient for Double {
    fn get<'a>(&'a self, url: &'a str) -> GetFuture<'a> {
        Box::pin(async move {
            let now = self.start.elapsed().as_millis() as u64;
            let (reply, index) = {
                let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
                log.in_flight += 1;
                log.max_in_flight = log.max_in_flight.max(log.in_flight);
                let calls = log.calls.entry(url.to_string()).or_default();
                calls.push((now, None));
                let index = calls.len() - 1;
                let plan = self.replies.get(url).cloned().unwrap_or_default();
                (plan.get(index).or(plan.last()).copied().unwrap_or(Reply::Refused), index)
            };
            let _guard = InFlight { double: self, url: url.to_string(), index };
            match reply {
                Reply::Answer(status, body, ms) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(HttpResponse { status, body: body.to_string() })
                }
                Reply::Refused => Err(TransportError("connection refused".to_string())),
                Reply::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(HttpResponse { status: 200, body: "an hour late".to_string() })
                }
            }
        })
    }
}

type Outcome = Vec<Result<String, solution::FetchError>>;

// Runs fetch_all on a fresh paused runtime; Err says why there is no result.
fn play(double: &Double, urls: &[&str]) -> Result<Outcome, String> {
    let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
    let run = catch_unwind(AssertUnwindSafe(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(4 * 3600), solution::fetch_all(double, urls))
                .await
                .map_err(|_| "fetch_all did not finish within 4 hours of virtual time".to_string())
        })
    }));
    match run {
        Ok(result) => result,
        Err(_) => Err("fetch_all panicked".to_string()),
    }
}

fn gaps(calls: &[(u64, Option<u64>)]) -> Vec<i64> {
    calls.windows(2).map(|w| w[1].0 as i64 - w[0].1.unwrap_or(w[0].0) as i64).collect()
}

fn near(got: &[i64], want: &[i64]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() <= 5)
}

fn run_checks(check: &mut dyn FnMut(&str, bool, String)) {
    // Rules 2 and 3: ten URLs, later ones answer sooner.
    let urls: Vec<String> = (0..10).map(|i| format!("http://h/{}", i)).collect();
    let bodies = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"];
    let plan = urls.iter().enumerate().map(|(i, u)| (u.as_str(), vec![Reply::Answer(200, bodies[i], 1000 - 90 * i as u64)])).collect();
    let double = Double::new(plan);
    let refs: Vec<&str> = urls.iter().map(|u| u.as_str()).collect();
    match play(&double, &refs) {
        Ok(results) => {
            let peak = double.log.lock().unwrap_or_else(|e| e.into_inner()).max_in_flight;
            check("r02_max_4_in_flight", peak <= 4, format!("at most {} requests were in flight at once", peak));
            let got: Vec<String> = results.iter().map(|r| match r { Ok(b) => b.clone(), Err(e) => format!("Err({:?})", e) }).collect();
            let ok = got.len() == 10 && got.iter().zip(bodies.iter()).all(|(g, b)| g == b);
            check("r03_order", ok, format!("results {:?} for bodies b0..b9 in the order of urls", got));
        }
        Err(why) => {
            check("r02_max_4_in_flight", false, why.clone());
            check("r03_order", false, why);
        }
    }

    // Rules 4 and 5: one URL always refused, one refused twice then answered.
    let double = Double::new(vec![
        ("http://down", vec![Reply::Refused]),
        ("http://flaky", vec![Reply::Refused, Reply::Refused, Reply::Answer(200, "finally", 10)]),
    ]);
    match play(&double, &["http://down", "http://flaky"]) {
        Ok(results) => {
            let down = double.calls("http://down");
            let flaky = double.calls("http://flaky");
            let ok = down.len() == 4 && results.first().map_or(false, |r| r.is_err())
                && flaky.len() == 3 && results.get(1).map_or(false, |r| r.as_ref().ok().map(|b| b.as_str()) == Some("finally"));
            check("r04_retries", ok, format!(
                "a URL always refused was requested {} times (expected 4: 1 + 3 retries); one refused twice was requested {} times (expected 3) and gave {:?}",
                down.len(), flaky.len(), results.get(1)));
            let waited = gaps(&down);
            check("r05_backoff", near(&waited, &[250, 500, 1000]), format!("waits before the retries: {:?} ms (expected [250, 500, 1000])", waited));
        }
        Err(why) => {
            check("r04_retries", false, why.clone());
            check("r05_backoff", false, why);
        }
    }

    // Rule 6: a server that never answers is given up on after 10 s (each attempt).
    let double = Double::new(vec![("http://hang", vec![Reply::Hang]), ("http://ok", vec![Reply::Answer(200, "fine", 5)])]);
    match play(&double, &["http://hang", "http://ok"]) {
        Ok(results) => {
            let calls = double.calls("http://hang");
            let lasted: Vec<i64> = calls.iter().map(|(s, e)| e.map_or(-1, |e| e as i64 - *s as i64)).collect();
            let ok = !lasted.is_empty() && lasted.iter().all(|d| (d - 10_000).abs() <= 5)
                && results.first().map_or(false, |r| r.is_err())
                && results.get(1).map_or(false, |r| r.as_ref().ok().map(|b| b.as_str()) == Some("fine"));
            check("r06_timeout", ok, format!("requests to a server that never answers lasted {:?} ms (expected 10000 each) and gave {:?}", lasted, results.first()));
        }
        Err(why) => check("r06_timeout", false, why),
    }

    // Rule 13: a non-2xx status is an error, a 2xx one a body.
    let double = Double::new(vec![
        ("http://missing", vec![Reply::Answer(404, "not found page", 5)]),
        ("http://broken", vec![Reply::Answer(503, "busy page", 5)]),
        ("http://created", vec![Reply::Answer(201, "made", 5)]),
    ]);
    match play(&double, &["http://missing", "http://broken", "http://created"]) {
        Ok(results) => {
            let ok = results.len() == 3 && results[0].is_err() && results[1].is_err()
                && results[2].as_ref().ok().map(|b| b.as_str()) == Some("made");
            check("r13_status_is_error", ok, format!("404, 503 and 201 gave {:?}", results));
        }
        Err(why) => check("r13_status_is_error", false, why),
    }
}
