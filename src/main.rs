use clap::{Parser, Subcommand};
use fedcm_model::machine::browser::LoginStatus;
use fedcm_model::{ConfigUrl, Document, Profile};
use fedcm_workbench::lint::{self, LintContext, LintReport};
use fedcm_workbench::{errln, input, outln, output};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The subcommands with modules of their own (`src/commands/`): the model
/// checker's front end and the scenario runner's.
mod commands {
    pub mod explore;
    pub mod run;
}

use commands::{explore, run};

/// A workbench for the browser's Federated Credential Management API.
#[derive(Parser)]
#[command(name = "fedcm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario files through the model and check their `expect`.
    ///
    /// With no PATH, runs the built-in scenario and prints its trace. A
    /// directory runs every regular `*.json` file in it (FIFOs and devices
    /// are skipped with a note). A scenario file may be at most 8 MiB.
    /// Exit status: 0 when every expectation holds (or none is stated), 1
    /// when one does not, 2 when a file cannot be read as a scenario or the
    /// directory holds none, 141 when standard output was closed.
    Run {
        /// A scenario file or a directory of them.
        path: Option<PathBuf>,
        /// Print one JSON object per scenario (an array for a directory).
        #[arg(long)]
        json: bool,
        /// Override the scenarios' own profile (spec, spec-2024, chromium,
        /// chromium-142, firefox), or `all`: one scenario under every profile, side
        /// by side, with where they differ.
        #[arg(long)]
        profile: Option<String>,
    },
    /// List the profiles: the generations of the spec and of the browsers
    /// the model follows, one line each.
    Profiles {
        /// Also print every rule where the profiles differ, and what each does.
        #[arg(long)]
        rules: bool,
    },
    /// Explore every event ordering up to a depth, checking every invariant.
    ///
    /// From each starting configuration (one or two IdPs; passive or active;
    /// optional, silent or required mediation; logged in, out or unknown;
    /// connected or not), every response kind for every pending fetch in
    /// every order, every answer the person can give, the privacy timer and
    /// an abort. Exit status 1 when an invariant fails: the shortest
    /// counterexample is printed (and written with --out) as a scenario file.
    /// Exit status 3 when --max-states stopped the search first (what was
    /// explored is reported). Progress goes to stderr.
    Explore {
        /// How many events deep to search.
        #[arg(long, default_value_t = 6)]
        depth: usize,
        /// Stop when one starting configuration reaches this many distinct
        /// states. The depth-first search keeps 16 bytes a state; a start with
        /// a violation is searched again breadth first for the shortest
        /// counterexample, holding up to ~14 KB a state (the default bounds
        /// that at about 2 GB).
        #[arg(long, default_value_t = explore::DEFAULT_MAX_STATES, value_parser = clap::value_parser!(u64).range(1..))]
        max_states: u64,
        /// Print a progress line every N states checked (default: by the
        /// clock, a line rewritten in place on a terminal, else one every
        /// 5 s).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        progress_every: Option<u64>,
        /// A profile name (`fedcm profiles` lists them) or `all`.
        #[arg(long, default_value = "all")]
        profile: String,
        /// Write counterexamples as scenario files into this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Search only shard K of N (1-based): the starting configurations
        /// whose 0-based index i has i % N == K-1. Run each shard with
        /// --json (on as many machines) and merge them with --merge.
        #[arg(long, default_value = "1/1")]
        shard: fedcm_check::explore::Shard,
        /// Worker threads (default: RAYON_NUM_THREADS, else one per core).
        /// The report does not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        jobs: Option<u64>,
        /// Instead of searching, merge these `--json` reports of the shards
        /// of one search into the report the unsharded search gives.
        #[arg(long, num_args = 1.., value_name = "FILE")]
        merge: Vec<PathBuf>,
    },
    /// Serve a scenario's IdP responses on loopback, checking each request.
    ///
    /// Every host the scenario names is served from this one port; point a
    /// client at it by resolving those hosts here (`fedcm probe --via`). A
    /// request that breaks what the spec requires of a browser gets 400 and
    /// a JSON error naming the rule; a body over 64 KiB gets 413 and a
    /// request head (line and headers) over 128 KiB gets 431. Exit
    /// status 2 when the scenario cannot be read or HTTP cannot carry one of
    /// its responses (a status outside 200-999, a header with CR or LF). A
    /// config's login_url the scenario does not script answers a GET with a
    /// login page sending `Set-Login: logged-in`.
    Serve {
        scenario: PathBuf,
        /// The port to listen on; 0 picks a free one (the banner names it).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The address to listen on. The default serves this machine only;
        /// any other (0.0.0.0, a LAN address) lets the whole network reach
        /// the mock IdP, and serve warns on stderr when it does.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Which requests to log on stderr: none, violations (requests that
        /// broke a rule or were refused) or all. Lines quote at most 200
        /// bytes of a URL; warnings are written at every level.
        #[arg(long, default_value = "all", value_name = "LEVEL")]
        log: fedcm_workbench::serve::LogLevel,
        /// Seconds a client has to send a request's head, and then its body.
        /// A kept-alive connection waiting for its next request is closed
        /// after this too.
        #[arg(
            long,
            default_value_t = fedcm_workbench::serve::DEFAULT_HEADER_TIMEOUT.as_secs(),
            value_name = "SECS",
            value_parser = clap::value_parser!(u64).range(1..=fedcm_workbench::serve::MAX_TIMEOUT.as_secs())
        )]
        header_timeout: u64,
        /// Seconds a connection may move no byte (while no request on it is
        /// being answered) before it is closed, e.g. a client that stops
        /// reading its response.
        #[arg(
            long,
            default_value_t = fedcm_workbench::serve::DEFAULT_IDLE_TIMEOUT.as_secs(),
            value_name = "SECS",
            value_parser = clap::value_parser!(u64).range(1..=fedcm_workbench::serve::MAX_TIMEOUT.as_secs())
        )]
        idle_timeout: u64,
        /// Connections served at once (at most 65536); more clients wait to
        /// be accepted.
        #[arg(
            long,
            default_value_t = fedcm_workbench::serve::DEFAULT_MAX_CONNECTIONS as u64,
            value_name = "N",
            value_parser = clap::value_parser!(u64).range(1..=fedcm_workbench::serve::MAX_CONNECTIONS as u64)
        )]
        max_connections: u64,
        /// Serve HTTPS with a self-signed certificate made at start for
        /// every host the scenario names (and `*.` its parent domains), and
        /// answer the harness pages under /.fedcm/ (an RP page, and an IdP
        /// page that sets login status). The banner prints the key's SPKI
        /// SHA-256 for Chromium's --ignore-certificate-errors-spki-list.
        #[arg(long)]
        tls: bool,
    },
    /// Drive the model over real HTTP against an IdP and report on it.
    ///
    /// Sends only what the model emits, and stops before the identity
    /// assertion unless --assert. With --profile all it probes under every
    /// profile and ends with the line "works in: ...; breaks in: ... (why)":
    /// each method and URL is fetched once, and later profiles reuse the
    /// answer, so the assertion POST is sent once, with the body of the
    /// first profile that reaches it. The first profile's report is printed
    /// in full, then each profile's result and the problems not every
    /// profile reports (add --mode active for a fair word on Firefox, which
    /// asks no new IdP in passive mode). With --scenario, runs a scenario
    /// file over HTTP instead (against `fedcm serve`) and checks its
    /// `expect`. Pictures on private addresses (loopback, RFC 1918,
    /// link-local, ...) are not fetched unless --allow-private or they share
    /// the config URL's host. It also reads every Set-Login header and GETs
    /// the config's login_url (no cookies; another origin's only with --via)
    /// to read its headers, and reports on the IdP's login status signals
    /// (docs/login-status.md). Exit status 0 when nothing is wrong (in every
    /// profile), 1 when a response breaks a rule (a Set-Login that does not
    /// parse or comes from another site included) or the request is rejected
    /// (in any profile) or the expectation fails, 2 for bad arguments, 3
    /// when the probe was cut short before the request settled (in any
    /// profile: the --deadline passed, or the model stopped making
    /// progress): the report is incomplete. Stopping before the assertion
    /// (no --assert) or at a pop-up is not cut short.
    Probe {
        /// The IdP's config URL.
        config_url: Option<String>,
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long, default_value = "https://rp.example")]
        rp_origin: String,
        /// Sent on credentialed requests (accounts, assertion), e.g. "session=abc".
        #[arg(long)]
        cookie: Option<String>,
        /// The account to choose when asserting (default: the first).
        #[arg(long)]
        account: Option<String>,
        /// Also send the identity assertion.
        #[arg(long)]
        assert: bool,
        /// The call's mode: passive or active (after a click). Firefox asks
        /// an IdP in passive mode only if the RP is connected to it or
        /// same-site with it, which a probe never is.
        #[arg(long, default_value = "passive")]
        mode: String,
        /// The call's `context`, which the dialog's title words: signin,
        /// signup, use or continue.
        #[arg(long, default_value = "signin")]
        context: String,
        /// The IdP's login status in the browser: logged-in, logged-out or unknown.
        #[arg(long, default_value = "logged-in")]
        login_status: String,
        /// Send every request to this host:port over plain HTTP (a `fedcm serve`).
        #[arg(long)]
        via: Option<String>,
        /// Run this scenario file over HTTP instead.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// A profile name (`fedcm profiles` lists them), or `all`: every
        /// profile, each request sent once. Not used with --scenario (the
        /// scenario names its own).
        #[arg(long, default_value = "spec")]
        profile: String,
        /// Seconds to wait for each response.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
        /// Seconds the whole probe may take; when they pass, it stops with
        /// exit status 3.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        deadline: u64,
        /// Also fetch account pictures from private and special-use
        /// addresses (the config URL's own host is always allowed).
        #[arg(long)]
        allow_private: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run scenarios in a real headless Chromium and compare with the model.
    ///
    /// Serves the scenario over HTTPS on loopback (as `serve --tls`), starts
    /// Chromium with a fresh profile and the scenario's hosts mapped there,
    /// makes the call in an RP page and answers its dialogs from the
    /// scenario's `user` steps through DevTools, then compares what the page
    /// and the IdP saw with the model under the chromium profile. A scenario
    /// the harness cannot drive yet says "could not run" and why (see
    /// docs/browser.md). A directory stops at the first scenario that
    /// differs unless `--keep-going`. With `--generate N` it plays N generated worlds
    /// instead, and writes each disagreement, minimized, to
    /// target/browser-disagreements/. Exit status: 0 all agree, 1 one
    /// differs, 2 a file is not a scenario, 3 none differs but some could
    /// not run.
    Browser {
        /// A scenario file or a directory of them.
        #[arg(required_unless_present = "generate", conflicts_with = "generate")]
        path: Option<PathBuf>,
        /// Draw this many worlds (the fuzz harness's) from `--seed` instead.
        #[arg(long, value_name = "N")]
        generate: Option<u64>,
        /// Run every scenario of a directory, past any that differs.
        #[arg(long)]
        keep_going: bool,
        /// The seed the generated worlds are drawn from.
        #[arg(long, value_name = "S", default_value_t = 1, requires = "generate")]
        seed: u64,
        /// Print one JSON object with every result and the summary.
        #[arg(long)]
        json: bool,
        /// The Chromium binary (default: Debian's /usr/lib/chromium/chromium,
        /// else chromium on PATH).
        #[arg(long, value_name = "PATH")]
        chromium: Option<PathBuf>,
    },
    /// Check an IdP document (or RP request options) as browsers parse it.
    ///
    /// With no FILE, lints the embedded example documents. An IdP document
    /// is read up to one byte past the 1 MiB body limit (reported as
    /// body-too-large); request options may be at most 1 MiB. Exit status:
    /// 0 when every profile accepts with no error, 1 when a profile reports
    /// an error, 2 when the file cannot be read or the arguments are wrong.
    Lint {
        /// Which document: well-known, config, accounts, client-metadata,
        /// assertion, disconnect or request.
        #[arg(long, short)]
        kind: Option<Document>,
        /// The file to check; `-` reads standard input.
        file: Option<PathBuf>,
        /// A profile name (`fedcm profiles` lists them) or `all`.
        #[arg(long, default_value = "all")]
        profile: String,
        /// The config URL the document belongs to.
        #[arg(long, default_value = "https://idp.example/config.json")]
        config_url: String,
        /// For assertion responses: the endpoint they came from (relative
        /// to the config URL).
        #[arg(long)]
        assertion_endpoint: Option<String>,
        /// The HTTP status the document was served with.
        #[arg(long, default_value_t = 200)]
        status: u16,
        /// The Content-Type it was served with (`none` for no header).
        #[arg(long, default_value = "application/json")]
        content_type: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let code = dispatch(Cli::parse());
    output::flush();
    code
}

fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run { path, json, profile } => {
            let profiles = match profile.as_deref() {
                None => run::Profiles::One(None),
                Some("all") => run::Profiles::All,
                Some(p) => match p.parse() {
                    Ok(p) => run::Profiles::One(Some(p)),
                    Err(e) => return usage(&e),
                },
            };
            run::main(path, json, profiles)
        }
        Command::Profiles { rules } => {
            output::print(&fedcm_workbench::generations::list(rules));
            ExitCode::SUCCESS
        }
        Command::Browser { path, generate, seed, json, chromium, keep_going } => match (path, generate) {
            (_, Some(count)) => {
                let options = fedcm_workbench::browser::generate::Options { count, seed, json, chromium };
                ExitCode::from(fedcm_workbench::browser::generate::main(options))
            }
            (Some(path), None) => {
                let options = fedcm_workbench::browser::cli::Options { path, json, chromium, keep_going };
                ExitCode::from(fedcm_workbench::browser::cli::main(options))
            }
            (None, None) => usage("fedcm browser: give a SCENARIO or DIR, or --generate N"),
        },
        Command::Serve { scenario, port, host, log, header_timeout, idle_timeout, max_connections, tls } => {
            use std::io::Write;
            let text = match input::read_scenario(&scenario) {
                Ok(t) => t,
                Err(e) => return usage(&format!("{}: {e}", scenario.display())),
            };
            let parsed = match fedcm_workbench::scenario::Scenario::parse(&text) {
                Ok(s) => s,
                Err(e) => return usage(&format!("{}: {e}", scenario.display())),
            };
            // An IP address (IPv6 too) or a name such as localhost.
            let addr = match host.parse::<std::net::IpAddr>() {
                Ok(ip) => std::net::SocketAddr::new(ip, port).to_string(),
                Err(_) => format!("{host}:{port}"),
            };
            let options = fedcm_workbench::serve::ServeOptions {
                log,
                header_timeout: std::time::Duration::from_secs(header_timeout),
                idle_timeout: std::time::Duration::from_secs(idle_timeout),
                // In range (clap checked); start_with checks it again.
                max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
                // A config's login_url the scenario does not script signs in.
                login_page: true,
            };
            let extras = if tls {
                use fedcm_workbench::serve::tls;
                let names = tls::certificate_names(&tls::scenario_hosts(&parsed));
                match tls::TlsIdentity::generate(&names) {
                    Ok(identity) => {
                        fedcm_workbench::serve::ServeExtras { tls: Some(identity), pages: true, record: false }
                    }
                    Err(e) => return usage(&format!("{}: {e}", scenario.display())),
                }
            } else {
                fedcm_workbench::serve::ServeExtras::default()
            };
            match fedcm_workbench::serve::Server::start_full(&parsed, &addr, options, extras) {
                Ok(server) => {
                    // Neither line may take the server down: a closed
                    // stdout or stderr is ignored.
                    if !server.addr().ip().is_loopback() {
                        let _ = writeln!(
                            std::io::stderr(),
                            "fedcm serve: warning: listening on {}, which is not loopback: other machines can reach this mock IdP",
                            server.addr()
                        );
                    }
                    let mut out = std::io::stdout();
                    // The name is the scenario author's text: no escape codes on the terminal.
                    let name = fedcm_workbench::escape::line(&parsed.name);
                    let scheme = if server.tls_identity().is_some() { "https" } else { "http" };
                    let _ = writeln!(out, "fedcm serve: {name} on {scheme}://{}", server.addr());
                    if let Some(identity) = server.tls_identity() {
                        let names = fedcm_workbench::escape::line(&identity.names().join(", ")).into_owned();
                        let _ = writeln!(out, "fedcm serve: TLS certificate for {names}");
                        let _ = writeln!(out, "fedcm serve: SPKI SHA-256: {}", identity.spki_sha256_base64());
                    }
                    let _ = out.flush();
                    server.wait();
                    ExitCode::SUCCESS
                }
                // A scenario error is about the file; the others (the
                // address, the limits, the event loop) about the run.
                Err(e @ fedcm_workbench::serve::ServeError::Scenario(_)) => {
                    usage(&format!("{}: {e}", scenario.display()))
                }
                Err(e) => usage(&format!("serve: {e}")),
            }
        }
        Command::Probe {
            config_url,
            client_id,
            rp_origin,
            cookie,
            account,
            assert,
            mode,
            context,
            login_status,
            via,
            scenario,
            profile,
            timeout,
            deadline,
            allow_private,
            json,
        } => {
            let profile: Option<Profile> = match profile.as_str() {
                "all" => None,
                p => match p.parse() {
                    Ok(p) => Some(p),
                    Err(e) => return usage(&e),
                },
            };
            let transport = match fedcm_workbench::transport::HttpTransport::new(
                via.as_deref(),
                cookie,
                std::time::Duration::from_secs(timeout),
            ) {
                Ok(t) => t.with_deadline(std::time::Duration::from_secs(deadline)),
                Err(e) => return usage(&e),
            };
            let transport = if allow_private { transport.allow_private() } else { transport };
            if let Some(path) = scenario {
                let code = run::over_http(&path, &transport, json);
                if transport.cut_by_deadline() {
                    errln!("fedcm: probe cut short: the overall deadline of {deadline} s passed (--deadline)");
                    return ExitCode::from(fedcm_workbench::probe::EXIT_CUT_SHORT);
                }
                return code;
            }
            let (Some(config_url), Some(client_id)) = (config_url, client_id) else {
                return usage("probe needs CONFIG_URL and --client-id (or --scenario FILE)");
            };
            let login_status = match login_status.as_str() {
                "logged-in" => LoginStatus::LoggedIn,
                "logged-out" => LoginStatus::LoggedOut,
                "unknown" => LoginStatus::Unknown,
                other => return usage(&format!("--login-status {other:?}: logged-in, logged-out or unknown")),
            };
            let active = match mode.as_str() {
                "passive" => false,
                "active" => true,
                other => return usage(&format!("--mode {other:?}: passive or active")),
            };
            if !["signin", "signup", "use", "continue"].contains(&context.as_str()) {
                return usage(&format!("--context {context:?}: signin, signup, use or continue"));
            }
            let options = fedcm_workbench::probe::ProbeOptions {
                context,
                config_url,
                client_id,
                rp_origin,
                login_status,
                account,
                assert,
                active,
                profile: profile.unwrap_or(Profile::Spec),
                budget: fedcm_workbench::probe::StepBudget::default(),
                mock: via.is_some(),
            };
            if profile.is_none() {
                return probe_all(&options, &transport, json);
            }
            match fedcm_workbench::probe::probe(&options, &transport) {
                Err(e) => usage(&fedcm_workbench::escape::line(&e)),
                Ok(report) => {
                    if json {
                        outln!("{}", output::json(&report));
                    } else {
                        output::print(&fedcm_workbench::probe::render(&report));
                    }
                    if let Some(why) = &report.cut_short {
                        errln!("fedcm: probe cut short: {}", fedcm_workbench::escape::line(why));
                    }
                    ExitCode::from(fedcm_workbench::probe::exit_status(&report))
                }
            }
        }
        Command::Explore { depth, max_states, progress_every, profile, out, json, shard, jobs, merge } => {
            if !merge.is_empty() {
                return explore::merge(&merge, out, json);
            }
            let profiles: Vec<Profile> = match profile.as_str() {
                "all" => Profile::ALL.to_vec(),
                p => match p.parse() {
                    Ok(p) => vec![p],
                    Err(e) => return usage(&e),
                },
            };
            let jobs = jobs.map(|j| usize::try_from(j).unwrap_or(usize::MAX));
            explore::main(explore::Options { depth, max_states, progress_every, shard, jobs }, &profiles, out, json)
        }
        Command::Lint { kind, file, profile, config_url, assertion_endpoint, status, content_type, json } => {
            let profiles: Vec<Profile> = match profile.as_str() {
                "all" => Profile::ALL.to_vec(),
                p => match p.parse() {
                    Ok(p) => vec![p],
                    Err(e) => return usage(&e),
                },
            };
            let config_url = match ConfigUrl::parse(&config_url) {
                Ok(u) => u,
                Err(e) => return usage(&format!("--config-url: {e}")),
            };
            let cx = LintContext {
                config_url,
                assertion_endpoint,
                status,
                content_type: (content_type != "none").then_some(content_type),
            };
            let inputs: Vec<(Document, String, Vec<u8>)> = match (kind, file) {
                (None, None) => lint::EXAMPLES
                    .iter()
                    .map(|(k, name, body)| (*k, format!("(example) {name}"), body.as_bytes().to_vec()))
                    .collect(),
                (Some(kind), Some(path)) => match read_document(kind, &path) {
                    Ok(bytes) => vec![(kind, path.display().to_string(), bytes)],
                    Err(e) => return usage(&format!("{}: {e}", path.display())),
                },
                (None, Some(_)) => return usage("--kind is required with a FILE"),
                (Some(_), None) => return usage("a FILE (or - for standard input) is required with --kind"),
            };
            let mut failed = false;
            let mut all = Vec::new();
            for (kind, name, bytes) in inputs {
                let mut reports: Vec<LintReport> = Vec::new();
                for p in &profiles {
                    match lint::lint(kind, &bytes, &cx, *p) {
                        Ok(r) => reports.push(r),
                        Err(e) => return usage(&e.to_string()),
                    }
                }
                failed |= reports.iter().any(|r| r.errors() > 0);
                if json {
                    all.push(serde_json::json!({"file": name, "kind": kind, "reports": reports}));
                } else {
                    output::print(&lint::render(&name, kind, &reports));
                }
            }
            if json {
                let out = if all.len() == 1 { all.remove(0) } else { serde_json::Value::Array(all) };
                outln!("{}", output::json(&out));
            }
            if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// A document to lint, read only up to its limit: an IdP document one byte
/// past the browsers' body limit (so the model reports `body-too-large`),
/// request options up to the linter's own limit.
fn read_document(kind: Document, path: &Path) -> Result<Vec<u8>, input::InputError> {
    if kind == Document::RequestOptions {
        return input::read_bytes(path, input::MAX_REQUEST_OPTIONS_BYTES, "request options file");
    }
    Ok(input::read_at_most(path, fedcm_model::MAX_BODY_BYTES)?.bytes)
}

fn usage(message: &str) -> ExitCode {
    errln!("fedcm: {message}");
    ExitCode::from(2)
}

/// `fedcm probe --profile all`: every profile, each request sent once.
fn probe_all(
    options: &fedcm_workbench::probe::ProbeOptions,
    transport: &fedcm_workbench::transport::HttpTransport,
    json: bool,
) -> ExitCode {
    use fedcm_workbench::probe;
    let report = match probe::probe_all(options, transport) {
        Ok(r) => r,
        Err(e) => return usage(&fedcm_workbench::escape::line(&e)),
    };
    if json {
        outln!("{}", output::json(&report));
    } else {
        output::print(&probe::render_all(&report));
    }
    let cut: Vec<&probe::ProbeReport> = report.profiles.iter().filter(|r| r.cut_short.is_some()).collect();
    if let Some(why) = cut.first().and_then(|r| r.cut_short.as_deref()) {
        let names: Vec<&str> = cut.iter().map(|r| r.profile.name()).collect();
        errln!("fedcm: probe cut short under {}: {}", names.join(", "), fedcm_workbench::escape::line(why));
    }
    ExitCode::from(probe::exit_status_all(&report))
}
