//! `scorediff schema`: print the inferred schema.

use super::{infer_options, read_options, user_schema};
use crate::args::SchemaArgs;
use scorediff_synth::Result;
use scorediff_synth::tabular::{Schema, read_path};

pub fn run(a: SchemaArgs) -> Result<()> {
    let raw = read_path(&a.table, &read_options(&a.read.file)?)?;
    let user = user_schema(&a.read)?;
    let schema = Schema::infer_with(&raw, &infer_options(&a.read), user.as_ref())?;
    match &a.out {
        Some(path) => {
            let mut inputs = vec![a.table.as_path()];
            inputs.extend(a.read.schema.as_deref());
            super::check_not_input(path, &inputs, "--out")?;
            schema.save(path)?;
            if !a.common.quiet {
                eprintln!("wrote {}", path.display());
            }
        }
        None => println!("{}", schema.to_json_pretty()),
    }
    Ok(())
}
