//! The real binary as a server process, spoken to over real HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BINARY: &str = env!("CARGO_BIN_EXE_peacekeeper-registry");

/// The command with a clean configuration: no config file in its folder, only the variables given.
pub fn registry(folder: &std::path::Path, database_url: &str) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(folder)
        .env_remove("DATABASE_URL")
        .env("PKR_DATABASE_URL", database_url)
        .env("PKR_LOG_FILTER", "info");
    command
}

/// One HTTP/1.1 request to `addr` on a connection of its own: the whole answer as sent.
pub fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    let headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// A running server, stopped when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    pub printed: Vec<String>,
    /// What it logs, read as it comes so that a full pipe never blocks the server.
    logged: Arc<Mutex<String>>,
    reading_logs: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(folder: &std::path::Path, database_url: &str) -> Server {
        Server::start_with(folder, database_url, &[])
    }

    /// Starts the server with these settings (`PKR_…` variables) besides the database.
    pub fn start_with(
        folder: &std::path::Path,
        database_url: &str,
        settings: &[(&str, &str)],
    ) -> Server {
        Server::try_start_with(folder, database_url, settings)
            .unwrap_or_else(|logs| panic!("the server stopped at start: {logs}"))
    }

    /// Starts the server, or returns what it logged when it stopped before listening.
    pub fn try_start_with(
        folder: &std::path::Path,
        database_url: &str,
        settings: &[(&str, &str)],
    ) -> Result<Server, String> {
        let mut command = registry(folder, database_url);
        command.arg("serve").env("PKR_LISTEN", "127.0.0.1:0");
        for (name, value) in settings {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let logged = Arc::new(Mutex::new(String::new()));
        let into = Arc::clone(&logged);
        let reading_logs = std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read @ 1..) = stderr.read(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..read]);
                into.lock().unwrap().push_str(&text);
            }
        });
        // From here on, dropping the server (also on a failed assertion) stops the process.
        let mut server = Server {
            child,
            addr: String::new(),
            printed: Vec::new(),
            logged,
            reading_logs: Some(reading_logs),
        };
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let line = match received.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(server.logs()),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the server never said where it listens")
                }
            };
            server.printed.push(line.clone());
            if let Some(addr) = line.strip_prefix("Listening on http://") {
                server.addr = addr.to_string();
                return Ok(server);
            }
        }
    }

    /// Signs in over HTTP with the tests' password; the session's token.
    pub fn sign_in(&self, username: &str) -> String {
        let login = serde_json::json!({ "username": username, "password": super::PASSWORD });
        let (status, session) =
            self.request("POST", "/api/v1/auth/login", Some(&login.to_string()));
        assert_eq!(status, 200, "{session}");
        session["token"].as_str().unwrap().to_string()
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        self.try_request(method, path, None, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// One request on a connection of its own; an error when the connection is refused or cut.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<(u16, Value)> {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|bearer| ("Authorization", bearer.as_str()))
            .collect();
        self.send(method, path, &headers, body)
    }

    /// One request with these headers; an error when the connection is refused or cut.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> std::io::Result<(u16, Value)> {
        let answer = raw_request(&self.addr, method, path, headers, body)?;
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("no HTTP answer: {answer:?}")))?;
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
    }

    /// Asks the server to stop as a service manager does (SIGTERM).
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Ends the process at once, as a crash or a power cut would (SIGKILL).
    pub fn kill(&self) {
        self.signal("KILL");
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Waits up to `within` for the process to end; `None` if it has not.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Stops the server and returns what it logged.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        self.logs()
    }

    /// What the server logged, once it has ended.
    pub fn logs(&mut self) -> String {
        let _ = self.child.wait();
        if let Some(reading) = self.reading_logs.take() {
            let _ = reading.join();
        }
        self.logged.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
