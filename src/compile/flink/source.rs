//! The source table (columns from the schema or the sample, the event-time
//! column and its watermark, the connector) and the sink table.

use super::*;

/// The source: its DDL, what it holds, and a line for `--explain`.
pub(super) struct Source {
    pub(super) ddl: String,
    pub(super) rel: Rel,
    pub(super) time: Option<String>,
    pub(super) explain: String,
    /// A numeric value of each source column in the first sampled event:
    /// the shift for `stddev` (see [`agg_call`]).
    pub(super) shifts: HashMap<String, f64>,
}

impl Source {
    pub(super) fn build(opts: &Options, needs_time: bool) -> Result<Source, Untranslatable> {
        if opts.files.is_empty() && opts.source_options.is_empty() {
            return Err(
                "compile needs the input FILE (its format and first events shape the source table), or --source-option connector=… with --schema F or --sample F".into(),
            );
        }
        if opts.files.len() > 1 && needs_time {
            return no(format!(
                "{} input files with event-time stages: streamctl reads the files one after another, Flink would read them side by side with one watermark for all, so late events would differ; concatenate them into one file",
                opts.files.len()
            ));
        }
        let sample_path: Option<&PathBuf> = opts.sample.as_ref().or(opts.files.first());
        for f in opts.files.iter().chain(&opts.sample) {
            not_compressed(f)?;
        }
        let format = match opts.input_format {
            Some(f) => f,
            None => detect_format(sample_path.map(PathBuf::as_path))?,
        };
        let (flink_format, cols, sample) = match format {
            Format::Json => {
                let sample = match sample_path {
                    Some(p) => schema::read_sample(p)?,
                    None => Vec::new(),
                };
                let cols = match &opts.schema {
                    Some(f) => schema::read_schema_file(f)?,
                    None => match sample_path {
                        Some(p) if sample.is_empty() => {
                            return no(format!(
                                "{} has no events to infer the columns from: give --schema F (a `name type` line per column) or --sample F",
                                p.display()
                            ))
                        }
                        Some(p) => schema::infer(&sample, p)?,
                        None => {
                            return no("give --schema F or --sample F: there is no input file to infer the columns from")
                        }
                    },
                };
                ("json", cols, sample)
            }
            Format::Lines => (
                "raw",
                vec![Column {
                    name: "line".into(),
                    ty: Ty::Str,
                }],
                Vec::new(),
            ),
            Format::Csv | Format::Tsv => {
                return no(format!(
                    "{} input cannot be compiled: Flink's csv format has no header line, and streamctl names the columns from it and types each cell by its text; convert the input to JSON lines first (streamctl 'select …' -i {} FILE > FILE.jsonl)",
                    if format == Format::Csv { "CSV" } else { "TSV" },
                    if format == Format::Csv { "csv" } else { "tsv" },
                ))
            }
            Format::Logfmt => {
                return no("logfmt input cannot be compiled: Flink has no logfmt format; convert the input to JSON lines first")
            }
        };
        if cols.iter().any(|c| c.name == ROWTIME) {
            return no(format!(
                "the input has a field named `{ROWTIME}`, the name the compiled job gives its event-time column; rename it before compiling"
            ));
        }

        // Event time, only when a stage needs it: a job whose stages are all
        // stateless must not fail on an event without a readable time.
        let time = if needs_time {
            time_field(opts, &cols, &sample)?
        } else {
            None
        };
        let mut explain = String::new();
        let mut lines: Vec<String> = cols
            .iter()
            .map(|c| format!("  {} {}", q(&c.name), c.ty.sql()))
            .collect();
        let mut time_desc = None;
        if let Some(field) = &time {
            let col = cols.iter().find(|c| &c.name == field).ok_or_else(|| {
                format!("the time field `{field}` is not among the input's columns; declare it with --schema")
            })?;
            let (sql, desc) = time::rowtime_sql(field, &col.ty, &opts.time_format, &sample)?;
            lines.push(format!("  {} AS {sql}", q(ROWTIME)));
            lines.push(format!(
                "  WATERMARK FOR {} AS {} - {}",
                q(ROWTIME),
                q(ROWTIME),
                interval(opts.lateness_ms)
            ));
            time_desc = Some(format!(
                "event time from {desc}; watermark = max event time - {}",
                duration(opts.lateness_ms)
            ));
        }

        let inputs: Vec<Option<&PathBuf>> = if opts.files.is_empty() {
            vec![None]
        } else {
            opts.files.iter().map(Some).collect()
        };
        let mut ddl = String::new();
        let table_names: Vec<String> = if inputs.len() == 1 {
            vec!["events".into()]
        } else {
            (1..=inputs.len()).map(|i| format!("events_{i}")).collect()
        };
        for (input, name) in inputs.iter().zip(&table_names) {
            let options = source_options(opts, *input, flink_format)?;
            let _ = write!(
                ddl,
                "CREATE TEMPORARY TABLE {} (\n{}\n) WITH (\n{}\n);\n",
                q(name),
                lines.join(",\n"),
                with_options(&options)
            );
            let where_from = match input {
                Some(p) => format!("filesystem {flink_format} {}", absolute(p)),
                None => "connector from --source-option".into(),
            };
            if !explain.is_empty() {
                explain.push_str("; ");
            }
            let _ = write!(explain, "table `{name}`: {where_from}");
        }
        let rel_name = if table_names.len() == 1 {
            table_names[0].clone()
        } else {
            let union = table_names
                .iter()
                .map(|n| format!("SELECT * FROM {}", q(n)))
                .collect::<Vec<_>>()
                .join("\nUNION ALL\n");
            let _ = write!(
                ddl,
                "\n-- the inputs, one after another\nCREATE TEMPORARY VIEW {} AS\n{union};\n",
                q("events")
            );
            explain.push_str("; view `events`: UNION ALL of the inputs");
            "events".into()
        };
        explain.push_str(&format!(
            "; columns {}",
            cols.iter()
                .map(|c| format!("{} {}", c.name, c.ty.sql()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some(d) = time_desc {
            explain.push_str("; ");
            explain.push_str(&d);
        }
        let shifts = sample
            .first()
            .map(|e| {
                e.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64().filter(|f| f.is_finite())?)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Source {
            ddl,
            rel: Rel {
                name: rel_name,
                cols,
                rowtime: time.is_some(),
            },
            time,
            explain,
            shifts,
        })
    }
}

pub(super) fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

pub(super) fn detect_format(path: Option<&Path>) -> Result<Format, Untranslatable> {
    let Some(path) = path else {
        return Ok(Format::Json);
    };
    let cannot_read = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    not_compressed(path)?;
    if let Some(f) = Format::from_extension(path) {
        return Ok(f);
    }
    // The first line that is not blank decides, as `-i auto` does when it reads.
    let text = std::fs::read(path).map_err(cannot_read)?;
    let first = text
        .split(|&b| b == b'\n')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()));
    Ok(match first {
        Some(l) if l.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Format::Json,
        Some(l) if std::str::from_utf8(l).is_ok_and(crate::input::logfmt::looks_like_logfmt) => {
            Format::Logfmt
        }
        _ => Format::Lines,
    })
}

/// streamctl reads gzip and zstd by their magic bytes; Flink's filesystem
/// connector goes by the file's name, and not for zstd: refused, not guessed.
pub(super) fn not_compressed(path: &Path) -> Result<(), Untranslatable> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // the read that follows says why
    };
    match crate::input::compressed::Codec::of_file(&file) {
        Some(codec) => no(format!(
            "{} is {}-compressed; streamctl decompresses it, Flink's filesystem source would read it by its name or not at all: decompress it first (e.g. `{} -dc`), or read it with --source-option",
            path.display(),
            codec.name(),
            codec.name()
        )),
        None => Ok(()),
    }
}

/// The time field: `--time-field`, else the first of ts, timestamp, time,
/// @timestamp in the first event (or among the declared columns).
pub(super) fn time_field(
    opts: &Options,
    cols: &[Column],
    sample: &[Map<String, Value>],
) -> Result<Option<String>, Untranslatable> {
    if let Some(f) = &opts.time_field {
        if f.contains('.') {
            return no(format!(
                "--time-field `{f}` is nested; the compiled job reads a top-level time field"
            ));
        }
        return Ok(Some(f.clone()));
    }
    let auto = crate::exec::event_time::AUTO_FIELDS;
    let found = match sample.first() {
        Some(first) => auto.iter().find(|f| first.contains_key(**f)),
        None => auto.iter().find(|f| cols.iter().any(|c| c.name == **f)),
    };
    Ok(found.map(|f| f.to_string()))
}

/// `--source-option`s, or the filesystem connector over the file.
pub(super) fn source_options(
    opts: &Options,
    input: Option<&PathBuf>,
    format: &str,
) -> Result<Vec<(String, String)>, Untranslatable> {
    if !opts.source_options.is_empty() {
        let mut o = opts.source_options.clone();
        add_format(&mut o, format);
        return Ok(o);
    }
    let Some(path) = input else {
        return no("no input FILE and no --source-option");
    };
    Ok(vec![
        ("connector".into(), "filesystem".into()),
        ("path".into(), absolute(path)),
        ("format".into(), format.into()),
    ])
}

/// Add `'format'` unless the options name one (or the connector takes none).
pub(super) fn add_format(o: &mut Vec<(String, String)>, format: &str) {
    let connector = o
        .iter()
        .find(|(k, _)| k == "connector")
        .map(|(_, v)| v.as_str());
    let wants = matches!(connector, Some("kafka") | Some("filesystem"));
    if wants && !o.iter().any(|(k, _)| k.contains("format")) {
        o.push(("format".into(), format.into()));
    }
}

pub(super) fn with_options(o: &[(String, String)]) -> String {
    o.iter()
        .map(|(k, v)| format!("  {} = {}", sql_string(k), sql_string(v)))
        .collect::<Vec<_>>()
        .join(",\n")
}

/// The sink table's DDL and a line for `--explain`.
pub(super) fn sink_table(opts: &Options, rel: &Rel) -> Result<(String, String), Untranslatable> {
    let (options, explain) = if !opts.sink_options.is_empty() {
        let mut o = opts.sink_options.clone();
        add_format(&mut o, "json");
        (o, "connector from --sink-option".to_string())
    } else {
        let Some(path) = &opts.sink_path else {
            return no("give --sink-path DIR for the default filesystem sink (JSON lines), or --sink-option connector=… for another");
        };
        (
            vec![
                ("connector".into(), "filesystem".into()),
                ("path".into(), path.clone()),
                ("format".into(), "json".into()),
                // streamctl leaves a missing field out of its row; a SQL
                // column is NULL instead, so write NULLs as absent.
                ("json.encode.ignore-null-fields".into(), "true".into()),
            ],
            format!("filesystem json {path}"),
        )
    };
    let cols = rel
        .cols
        .iter()
        .map(|c| format!("  {} {}", q(&c.name), c.ty.sql()))
        .collect::<Vec<_>>()
        .join(",\n");
    Ok((
        format!(
            "CREATE TEMPORARY TABLE {} (\n{cols}\n) WITH (\n{}\n);\n",
            q("sink"),
            with_options(&options)
        ),
        format!("`sink`: {explain}; INSERT INTO from the last view"),
    ))
}
