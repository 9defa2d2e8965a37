//! `quakecast`: render quake bulletins (and, later, serve the farm).
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use quakecast::pipeline::{render_bulletin, Progress, RenderEnv};
use quakecast_core::config::RenderFlags;
use quakecast_core::store::LocalDirStore;

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
            let report = e
                .chain()
                .find_map(|c| match c.downcast_ref::<quakecast::Error>() {
                    Some(quakecast::Error::Report(r)) => Some(r),
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
        Command::Demo { flags } => render(quakecast::SAMPLE_REPORT, &flags),
        Command::Audience(cmd) => {
            quakecast_audience::run(cmd, &quakecast_core::assets::default_data_dir())
        }
        Command::Serve(args) => serve(&args),
        Command::Worker(args) => worker(&args),
        Command::Validate { event_file } => {
            let report = std::fs::read(&event_file)
                .with_context(|| format!("reading report {}", event_file.display()))?;
            let parsed = quakecast_facts::parse_message(&report)
                .map_err(quakecast::Error::from)
                .with_context(|| format!("in {}", event_file.display()))?;
            eprintln!("format: {}", parsed.format);
            println!("{}", serde_json::to_string_pretty(&parsed)?);
            if let quakecast_facts::Message::Withdrawal(w) = parsed.message {
                return Err(quakecast::Error::Report(
                    quakecast_facts::ReportError::Withdrawn(w),
                ))
                .with_context(|| format!("in {}", event_file.display()));
            }
            Ok(())
        }
    }
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
        quakecast::gpu::GpuSegments::factory(),
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
        quakecast::gpu::GpuSegments::factory(),
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
    let config = flags.validate()?;
    // Refuse bad input before touching the GPU or the output directory.
    quakecast::pipeline::validate(report)?;
    let assets = quakecast_core::assets::load_assets(&config.data)?;
    let font = quakecast_renderer::Font::load(config.font.as_deref())?;
    let gpu = quakecast_renderer::GpuContext::new(config.adapter)?;
    let summary = gpu.summary().clone();
    tracing::info!(adapter = %summary.name, backend = %summary.backend, device_type = %summary.device_type, "GPU adapter");
    let env = RenderEnv {
        gpu: Arc::new(gpu),
        font: Arc::new(font),
        assets: Arc::new(assets),
    };
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

/// Progress of `render`: one bar per stage on a terminal (speech and timeline, frames, stitch,
/// store), log lines otherwise (pipes, CI, the farm's logs).
struct ProgressBars {
    bars: Option<(
        indicatif::MultiProgress,
        indicatif::ProgressBar,
        indicatif::ProgressBar,
        indicatif::ProgressBar,
    )>,
}

impl ProgressBars {
    fn new() -> Self {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Self { bars: None };
        }
        let multi = indicatif::MultiProgress::new();
        let spin = indicatif::ProgressStyle::with_template("{spinner} {prefix:<8} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let speech = multi.add(indicatif::ProgressBar::new_spinner());
        speech.set_style(spin.clone());
        speech.set_prefix("speech");
        speech.set_message("speaking and timing the narration…");
        speech.enable_steady_tick(std::time::Duration::from_millis(120));
        let frames = multi.add(indicatif::ProgressBar::new(0));
        frames.set_style(
            indicatif::ProgressStyle::with_template(
                "  {prefix:<8} [{bar:40}] {pos}/{len} frames  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        frames.set_prefix("frames");
        let finish = multi.add(indicatif::ProgressBar::new_spinner());
        finish.set_style(spin);
        finish.set_prefix("output");
        Self {
            bars: Some((multi, speech, frames, finish)),
        }
    }

    fn on(&self, p: Progress) {
        let Some((_, speech, frames, finish)) = &self.bars else {
            match p {
                Progress::AudioReady { secs, voice } => {
                    tracing::info!(voice, secs = format!("{secs:.2}"), "narration mixed")
                }
                Progress::Planned { segments, frames } => {
                    tracing::info!(segments, frames, "planned")
                }
                Progress::Frames { done, total } => {
                    tracing::info!("rendered {done}/{total} frames")
                }
                Progress::SegmentDone { index, secs } => {
                    tracing::info!(index, secs = format!("{secs:.2}"), "segment done")
                }
                Progress::Stitched => tracing::info!("stitched"),
                Progress::Stored { key } => tracing::info!(%key, "stored"),
            }
            return;
        };
        match p {
            Progress::AudioReady { secs, voice } => {
                speech.finish_with_message(format!("{secs:.1} s of narration mixed ({voice})"))
            }
            Progress::Planned {
                segments,
                frames: n,
            } => {
                if !speech.is_finished() {
                    speech.finish_with_message("timeline planned (no audio)");
                }
                frames.set_length(u64::from(n));
                frames.set_message(format!("{segments} segments"));
            }
            Progress::Frames { done, .. } => frames.set_position(u64::from(done)),
            Progress::SegmentDone { .. } => {}
            Progress::Stitched => {
                frames.finish();
                finish.set_message("segments stitched; storing…");
            }
            Progress::Stored { key } => finish.set_message(format!("stored {key}")),
        }
    }

    fn finish(&self) {
        if let Some((_, speech, frames, finish)) = &self.bars {
            speech.finish();
            frames.finish();
            finish.finish();
        }
    }
}
