//! The main job end to end on a small table: it writes the model, the synthetic CSV and the
//! report, and its in-memory evaluation is the evaluation of the files it wrote.

use scorediff_synth::evaluate::evaluate_synthetic;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::main_job::{
    MainData, MainJob, MainJobProgress, main_job_tables, run_main_job,
};
use scorediff_synth::net::NetSpec;
use scorediff_synth::pipeline::FitConfig;
use scorediff_synth::tabular::{InferOptions, ReadOptions, load_table, load_typed};
use scorediff_synth::{eval::NoProgress, model::check_destination};

struct Count {
    steps: u64,
    sampled: usize,
}

impl MainJobProgress for Count {
    fn step(&mut self, _: &scorediff_synth::train::Progress) -> std::ops::ControlFlow<()> {
        self.steps += 1;
        std::ops::ControlFlow::Continue(())
    }
    fn sampled(&mut self, done: usize, _: usize) {
        self.sampled = done;
    }
}

#[test]
fn the_main_job_evaluates_in_memory_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test, _) = main_job_tables(MainData::WineQuality, dir.path(), 3).unwrap();
    let mut config = FitConfig {
        net: NetSpec::Mlp {
            width: 16,
            depth: 1,
            residual: true,
        },
        ..FitConfig::default()
    }
    .with_seed(3);
    config.train.max_steps = 4;
    config.sampler.steps = 3;
    let job = MainJob {
        train: train.clone(),
        test: test.clone(),
        out: dir.path().to_path_buf(),
        config,
        plots: false,
    };
    let mut count = Count {
        steps: 0,
        sampled: 0,
    };
    let be = FaerBackend::default();
    let out = run_main_job(&be, &job, &mut count).unwrap();
    let (real, schema) = load_table(
        &train,
        &ReadOptions::default(),
        None,
        &InferOptions::default(),
    )
    .unwrap();
    assert_eq!((count.steps, out.fit.steps), (4, 4));
    assert_eq!((out.rows, count.sampled), (real.n_rows(), real.n_rows()));
    assert!(out.report_dir.join("report.json").is_file());
    assert!(check_destination(&out.model).is_ok(), "a model directory");
    // The files, read back and typed by the training table's schema, evaluate the same.
    let read = ReadOptions::default();
    let syn = load_typed(&out.synthetic, &read, &schema).unwrap();
    let test = load_typed(&test, &read, &schema).unwrap();
    let again =
        evaluate_synthetic(&schema, &real, Some(&test), &syn, None, 3, &NoProgress).unwrap();
    assert_eq!(again.summary(), out.report.summary());
    assert_eq!(
        serde_json::to_value(&again.shape).unwrap(),
        serde_json::to_value(&out.report.shape).unwrap()
    );
    // A second run refuses nothing of its own: the model directory is replaced.
    assert!(run_main_job(&be, &job, &mut count).is_ok());
}
