//! The push audience at benchmark scale: a synthetic snapshot following the gazetteer's
//! populations, its index, and the selection for the 2022 M6.8 Luding event.
use std::path::PathBuf;
use std::time::Instant;

use quakecast_audience::generate::{generate, GenerateOptions};
use quakecast_audience::index::BuildOptions;
use quakecast_audience::{
    build_index, select, BuildReport, Gazetteer, SelectOptions, Selection, SnapshotFormat,
    UserIndex,
};
use quakecast_facts::intensity::{IntensityModel, Relation};

/// The 2022-09-05 Luding earthquake: 29.59°N 102.08°E, 16 km, M6.8 (CENC).
pub fn luding() -> IntensityModel {
    IntensityModel::new(
        Relation::for_epicenter(29.59, 102.08),
        6.8,
        16.0,
        29.59,
        102.08,
    )
}

/// A snapshot and its index in a temporary directory.
pub struct AudienceBench {
    _dir: tempfile::TempDir,
    pub snapshot: PathBuf,
    pub index_path: PathBuf,
    pub index: UserIndex,
    pub model: IntensityModel,
    pub opts: SelectOptions,
}

impl AudienceBench {
    /// Generate `users` synthetic users (Parquet) and index them.
    pub fn new(users: u64) -> AudienceBench {
        let data = quakecast_core::assets::default_data_dir();
        let gaz = Gazetteer::load(&data.join(quakecast_audience::gazetteer::GAZETTEER_FILE))
            .expect("the gazetteer (run `bash scripts/setup.sh`)");
        let dir = tempfile::tempdir().expect("temp dir");
        let snapshot = dir.path().join("users.parquet");
        let opts = GenerateOptions {
            users,
            ..Default::default()
        };
        generate(&gaz.places, &opts, &snapshot, SnapshotFormat::Parquet).expect("generate");
        let index_path = dir.path().join("users.qcx");
        build_index(&snapshot, &index_path, &BuildOptions::default()).expect("index");
        let index = UserIndex::open(&index_path).expect("open index");
        AudienceBench {
            _dir: dir,
            snapshot,
            index_path,
            index,
            model: luding(),
            opts: SelectOptions::default(),
        }
    }

    /// A full build from the Parquet snapshot into a second file.
    pub fn build_full(&self) -> BuildReport {
        let out = self.index_path.with_file_name("full.qcx");
        let opts = BuildOptions {
            full: true,
            ..Default::default()
        };
        build_index(&self.snapshot, &out, &opts).expect("full build")
    }

    /// A rebuild of the same snapshot over the existing index (every partition reused).
    pub fn build_unchanged(&self) -> BuildReport {
        let out = self.index_path.with_file_name("again.qcx");
        let opts = BuildOptions {
            previous: Some(self.index_path.clone()),
            ..Default::default()
        };
        build_index(&self.snapshot, &out, &opts).expect("incremental build")
    }

    pub fn select(&self) -> Selection {
        select(&self.index, &self.model, &self.opts).expect("select")
    }

    /// A plain sequential read of every record on as many threads as the selection uses: the
    /// memory-bandwidth floor.
    pub fn scan(&self) -> u64 {
        self.index.scan(self.opts.threads)
    }
}

/// Median seconds of `runs` calls.
pub fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// (select, scan, select ÷ scan), medians of `runs`.
pub fn ratio(b: &AudienceBench, runs: usize) -> (f64, f64, f64) {
    let sel = median_secs(runs, || {
        std::hint::black_box(b.select());
    });
    let scan = median_secs(runs, || {
        std::hint::black_box(b.scan());
    });
    (sel, scan, sel / scan)
}
