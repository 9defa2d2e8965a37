//! `quakecast`: render quake bulletins (and, later, serve the farm).
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use quakecast_core::config::RenderFlags;
use quakecast_core::store::LocalDirStore;
use quakecast_core::Error;
use quakecast_pipeline::{render_bulletin, Progress, RenderEnv};

mod progress;
use progress::ProgressBars;

#[derive(Parser)]
#[command(
    name = "quakecast",
    version,
    about = "Earthquake quick report → vertical bulletin video"
)]
struct Cli {
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "QUAKECAST_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render one report (CENC quick report or catalogue record, EMSC message, USGS GeoJSON
    /// feature or QuakeML 1.2; detected from the content) into a bulletin MP4.
    Render {
        /// The report file.
        event_file: PathBuf,
        #[command(flatten)]
        flags: RenderFlags,
    },
    /// Render the bundled sample (CENC official M4.8 Hanyuan, Ya'an, 2022-05-20).
    Demo {
        #[command(flatten)]
        flags: RenderFlags,
    },
    /// Check a report and print its detected format and the parsed event (or withdrawal);
    /// renders nothing.
    Validate { event_file: PathBuf },
    /// The push audience: user index, selection by predicted intensity, tier cells.
    #[command(subcommand)]
    Audience(quakecast_audience::AudienceCmd),
    /// The farm on one machine: HTTP API, review page, queue and N local workers.
    Serve(Box<quakecast_farm::config::ServeArgs>),
    /// A stateless render worker taking tasks from a shared database.
    Worker(quakecast_farm::config::WorkerArgs),
}

/// Exit status for a refused report (bad input), distinct from failures while working.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit status of `render` and `validate` for a report that withdraws an event: valid input,
/// but there is no bulletin to make (and nothing was written).
const EXIT_WITHDRAWN: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let report = e.chain().find_map(|c| match c.downcast_ref::<Error>() {
                Some(Error::Report(r)) => Some(r),
                _ => None,
            });
            match report {
                Some(quakecast_facts::ReportError::Withdrawn(w)) => {
                    eprintln!("withdrawn: {w}; nothing rendered");
                    ExitCode::from(EXIT_WITHDRAWN)
                }
                Some(_) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(EXIT_BAD_INPUT)
                }
                None => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QUAKECAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Render { event_file, flags } => {
            let report = std::fs::read(&event_file)
                .with_context(|| format!("reading report {}", event_file.display()))?;
            render(&report, &flags)
        }
        Command::Demo { flags } => render(quakecast_core::SAMPLE_REPORT, &flags),
        Command::Audience(cmd) => {
            quakecast_audience::run(cmd, &quakecast_core::assets::default_data_dir())
        }
        Command::Serve(args) => serve(&args),
        Command::Worker(args) => worker(&args),
        Command::Validate { event_file } => {
            let report = std::fs::read(&event_file)
                .with_context(|| format!("reading report {}", event_file.display()))?;
            let parsed = quakecast_facts::parse_message(&report)
                .map_err(Error::from)
                .with_context(|| format!("in {}", event_file.display()))?;
            eprintln!("format: {}", parsed.format);
            println!("{}", serde_json::to_string_pretty(&parsed)?);
            if let quakecast_facts::Message::Withdrawal(w) = parsed.message {
                return Err(Error::Report(quakecast_facts::ReportError::Withdrawn(w)))
                    .with_context(|| format!("in {}", event_file.display()));
            }
            Ok(())
        }
    }
}

/// `content` with the platform-user heat layer from the audience index at `path`.
fn with_heat(
    content: &std::sync::Arc<quakecast_core::bulletin::Content>,
    path: &std::path::Path,
) -> anyhow::Result<std::sync::Arc<quakecast_core::bulletin::Content>> {
    let heat = quakecast_audience::heat::IndexHeat::open(path)
        .with_context(|| format!("--audience-index {}", path.display()))?;
    let mut c = (**content).clone();
    c.heat = Some(std::sync::Arc::new(heat));
    Ok(std::sync::Arc::new(c))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn serve(args: &quakecast_farm::config::ServeArgs) -> anyhow::Result<()> {
    use quakecast_farm::{service, RenderEnvLoader};
    let cfg = args.validate()?;
    let env = Arc::new(RenderEnvLoader::new(
        cfg.farm.render.clone(),
        quakecast_pipeline::gpu::GpuSegments::factory(),
    ));
    runtime()?.block_on(async move {
        let running = service::start_serve(cfg, env).await?;
        if let Some(addr) = running.addr {
            // One machine-readable line for scripts and tests (`--listen 127.0.0.1:0`).
            println!("listening on http://{addr}");
        }
        service::Running::wait_for_signal().await;
        tracing::info!("stopping");
        running.stop().await;
        Ok(())
    })
}

fn worker(args: &quakecast_farm::config::WorkerArgs) -> anyhow::Result<()> {
    use quakecast_farm::{service, RenderEnvLoader};
    let cfg = args.common.validate()?;
    anyhow::ensure!(
        (1..=64).contains(&args.workers),
        "--workers {}: expected 1..=64",
        args.workers
    );
    let env = Arc::new(RenderEnvLoader::new(
        cfg.render.clone(),
        quakecast_pipeline::gpu::GpuSegments::factory(),
    ));
    runtime()?.block_on(async move {
        let running = service::start_worker(cfg, args.workers, env).await?;
        println!("worker started");
        service::Running::wait_for_signal().await;
        tracing::info!("stopping");
        running.stop().await;
        Ok(())
    })
}

fn render(report: &[u8], flags: &RenderFlags) -> anyhow::Result<()> {
    let mut config = flags.validate()?;
    if let Some(p) = &flags.audience_index {
        config.request.content = with_heat(&config.request.content, p)?;
    }
    // Refuse bad input before touching the GPU or the output directory.
    quakecast_pipeline::validate(report)?;
    let env = RenderEnv::open(&config.env)?;
    let store = LocalDirStore::new(&config.out)?;
    let bars = ProgressBars::new();
    let progress = |p: Progress| bars.on(p);
    let outcome = render_bulletin(
        &env,
        report,
        &config.request,
        &store,
        &config.out,
        &progress,
    )?;
    bars.finish();
    let path = store.path(&outcome.video.key)?;
    let m = &outcome.manifest_doc;
    eprintln!(
        "bulletin: {} frames, {:.2} s, {}x{}, rendered in {:.1} s (manifest: {})",
        m.video.frames,
        m.video.duration_secs,
        m.video.width,
        m.video.height,
        m.timings.total_secs,
        store.path(&outcome.manifest.key)?.display()
    );
    println!("{}", path.display());
    Ok(())
}
